package store

import (
	"context"
	"strings"
	"unicode/utf8"
)

// Search on SQLite. A query without characters of the substring scripts
// (spaceless, pgsearch.go) goes to the FTS5 index as typed, with its
// unicode61 tokenizer. One with them is parsed (parseSearch, as for
// PostgreSQL) and each of its terms becomes a condition: a term in those
// scripts is a substring, found with the trigram index of the rows that
// have such characters (suggestions_trgm, migration 12), or with LIKE
// when shorter than the three characters a trigram needs; any other term
// goes to the FTS5 index as a phrase.

// sqliteSearchCond is the condition that selects the suggestions (aliased
// s) an FTS5 query matches on SQLite, with its arguments. A query that
// does not parse matches nothing: callers check it first (checkSearch).
func sqliteSearchCond(q string, broad, masked bool) (string, []any) {
	fts := "suggestions_fts"
	if masked {
		fts = "suggestions_redacted_fts"
	}
	if !spaceless(q) {
		if broad {
			// The unary + keeps SQLite from looking each match up by
			// id: it reads the other filters' index and checks each
			// entry against the set of matches instead.
			return "+s.id IN (SELECT rowid FROM " + fts + " WHERE " + fts + " MATCH ?)", []any{q}
		}
		return "s.id IN (SELECT rowid FROM " + fts + " WHERE " + fts + " MATCH ?)", []any{q}
	}
	n, err := parseSearch(q)
	if err != nil {
		return "FALSE", nil
	}
	var args []any
	var b strings.Builder
	n.sqlite(&b, &args, broad, masked)
	return b.String(), args
}

func (n *searchNode) sqlite(b *strings.Builder, args *[]any, broad, masked bool) {
	switch n.op {
	case '&', '|', '-':
		b.WriteByte('(')
		n.a.sqlite(b, args, broad, masked)
		b.WriteString(map[byte]string{'&': " AND ", '|': " OR ", '-': " AND NOT "}[n.op])
		n.b.sqlite(b, args, broad, masked)
		b.WriteByte(')')
		return
	}
	if n.cols == 0 || strings.TrimSpace(n.words) == "" {
		b.WriteString("FALSE")
		return
	}
	cols := map[uint8]string{colSubject: "subject : ", colBody: "body : ", colAll: ""}[n.cols]
	id := "s.id"
	if broad {
		id = "+s.id" // see sqliteSearchCond
	}
	phrase := `"` + strings.ReplaceAll(n.words, `"`, `""`) + `"`
	switch {
	case !spaceless(n.words) && masked:
		if n.prefix {
			phrase += "*"
		}
		b.WriteString(id + " IN (SELECT rowid FROM suggestions_redacted_fts WHERE suggestions_redacted_fts MATCH ?)")
		*args = append(*args, cols+phrase)
	case !spaceless(n.words):
		if n.prefix {
			phrase += "*"
		}
		b.WriteString(id + " IN (SELECT rowid FROM suggestions_fts WHERE suggestions_fts MATCH ?)")
		*args = append(*args, cols+phrase)
	case masked:
		// The trigram index holds the unmasked text: whoever reads masked
		// text reads the masked copies, row by row (redacted.go).
		col := map[uint8]string{colSubject: "s.subject_redacted", colBody: "s.body_redacted", colAll: "(s.subject_redacted || ' ' || s.body_redacted)"}[n.cols]
		b.WriteString(col + ` LIKE ? ESCAPE '\'`)
		*args = append(*args, "%"+likeEscape(n.words)+"%")
	case utf8.RuneCountInString(n.words) >= 3:
		b.WriteString(id + " IN (SELECT rowid FROM suggestions_trgm WHERE suggestions_trgm MATCH ?)")
		*args = append(*args, cols+phrase)
	default:
		// One or two characters: no trigram to look up. LIKE reads the
		// rows the other conditions leave (or all of them).
		col := map[uint8]string{colSubject: "s.subject", colBody: "s.body", colAll: "(s.subject || ' ' || s.body)"}[n.cols]
		b.WriteString(col + ` LIKE ? ESCAPE '\'`)
		*args = append(*args, "%"+likeEscape(n.words)+"%")
	}
}

// broadMatches is the number of matches from which a search with a
// channel or language filter reads that filter's index (suggestions_facets)
// rather than each match by id: walking an index entry costs about a tenth
// of a look-up by id, and a channel and a language select a tenth to a
// fiftieth of the rows. On a million suggestions, a word in a third of
// them with a channel and a language: 1.7 s by id, 0.1 s by the index
// (sqlite3, cold cache).
const broadMatches = 5000

// searchBroad reports whether f's search, on SQLite, matches more than
// broadMatches suggestions (or has substring terms) while f also filters
// by channel or language.
func (s *Store) searchBroad(ctx context.Context, f Filter) bool {
	if s.pg || f.Search == "" || (f.Channel == "" && f.Language == "") {
		return false
	}
	if spaceless(f.Search) {
		// Terms in these scripts are substrings, often of most texts
		// in that script; the filters' index bounds the work either way.
		return true
	}
	var n int
	err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM suggestions_fts WHERE suggestions_fts MATCH ? LIMIT ?)`,
		f.Search, broadMatches+1).Scan(&n)
	return err == nil && n > broadMatches
}
