// Package groups finds suggestions that say the same thing: the same text
// after normalisation (case, accents, spacing, punctuation), or nearly the
// same (a campaign's text with a word swapped, a typo, a greeting added).
//
// The similarity of two texts is the Jaccard similarity of their sets of
// character shingles, estimated from MinHash signatures; candidates are
// found with locality-sensitive hashing (LSH) over bands of the signature,
// so adding a text costs the same however many were added before. This
// file is pure: no I/O, no clock, no globals that change.
package groups

import (
	"encoding/binary"
	"strings"
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// Signature sizes. 63 MinHash values in 21 bands of 3: a pair with
// similarity 0.5 shares a band with probability 0.94, one of 0.6 with
// 0.99, one of 0.2 with 0.16 and one of 0.05 (unrelated texts) with
// 0.003; a candidate is then kept only if the estimate, whose standard
// error is below 0.065, reaches the threshold.
const (
	numHashes = 63
	bandRows  = 3
	numBands  = numHashes / bandRows
)

// DefaultThreshold is the estimated similarity at or above which a text
// joins a group: two copies of a campaign text with up to three small
// edits each score 0.4 to 1 (mostly above 0.5), different texts rarely
// above 0.2.
const DefaultThreshold = 0.5

// Signature is what the grouping keeps of a text.
type Signature struct {
	// Exact is a hash of the normalised text; 0 when nothing is left of
	// it (only punctuation, or empty), and such texts are not grouped.
	Exact uint64
	// Min holds the MinHash values; nil when the text is too short to
	// have shingles, and then only Exact matches it.
	Min []uint32
}

// fold is the case folding used by Normalize; cases.Caser is not safe
// for concurrent use, so each call makes its own (cheap).
func fold() cases.Caser { return cases.Fold() }

// Normalize is text as it is compared: NFKD with combining marks dropped
// (accents), case-folded, punctuation removed, runs of spaces and
// controls turned into one space, trimmed. Letters, digits and symbols
// (emoji) of every script are kept.
func Normalize(text string) string {
	if ascii(text) {
		return normalizeASCII(text)
	}
	return normalizeUnicode(text)
}

func normalizeUnicode(text string) string {
	text = fold().String(norm.NFKD.String(text))
	var b strings.Builder
	b.Grow(len(text))
	space := false
	for _, r := range text {
		switch {
		case unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Me, r) || r == '\u200d' || r == '\ufe0f':
			continue
		case unicode.IsPunct(r) || unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// normalizeASCII is Normalize for ASCII text, which NFKD and case
// folding leave as it is but for upper case: most texts, at a fraction
// of the cost.
func normalizeASCII(text string) string {
	b := make([]byte, 0, len(text))
	space := false
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		case c <= ' ' || c == 0x7f || unicode.IsPunct(rune(c)):
			space = len(b) > 0
			continue
		}
		if space {
			b = append(b, ' ')
			space = false
		}
		b = append(b, c)
	}
	return string(b)
}

// shingleLen is the length of a shingle, in characters: 5 for scripts
// written with spaces, 3 for those without (Chinese, Japanese, Thai…),
// where each character carries more.
func shingleLen(rs []rune) int {
	n, dense := 0, 0
	for _, r := range rs {
		if r == ' ' {
			continue
		}
		n++
		if unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul,
			unicode.Thai, unicode.Lao, unicode.Khmer, unicode.Myanmar, unicode.Tibetan) {
			dense++
		}
	}
	if dense*2 > n {
		return 3
	}
	return 5
}

// minShingles is the fewest shingles a text needs for a MinHash: below it
// one edit changes too large a share of them, and only Exact is used.
const minShingles = 4

// hash constants: FNV-1a for the shingles, then one odd multiplier per
// MinHash function. They are part of what is compared between runs, so
// they never change.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

var multipliers = func() [numHashes]uint64 {
	var m [numHashes]uint64
	x := uint64(0x9e3779b97f4a7c15)
	for i := range m {
		// splitmix64: a fixed, well-spread sequence.
		x += 0x9e3779b97f4a7c15
		z := x
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
		z = (z ^ (z >> 27)) * 0x94d049bb133111eb
		m[i] = (z ^ (z >> 31)) | 1
	}
	return m
}()

// Sign computes the signature of a text.
func Sign(text string) Signature {
	n := Normalize(text)
	if n == "" {
		return Signature{}
	}
	var sig Signature
	h := uint64(fnvOffset)
	for i := 0; i < len(n); i++ {
		h = (h ^ uint64(n[i])) * fnvPrime
	}
	sig.Exact = h | 1
	rs := []rune(n)
	k := shingleLen(rs)
	if len(rs)-k+1 < minShingles {
		return sig
	}
	mins := make([]uint32, numHashes)
	for i := range mins {
		mins[i] = ^uint32(0)
	}
	var buf [4]byte
	for i := 0; i+k <= len(rs); i++ {
		h := uint64(fnvOffset)
		for _, r := range rs[i : i+k] {
			binary.LittleEndian.PutUint32(buf[:], uint32(r))
			for _, c := range buf {
				h = (h ^ uint64(c)) * fnvPrime
			}
		}
		for j, m := range multipliers {
			if v := uint32((h * m) >> 32); v < mins[j] {
				mins[j] = v
			}
		}
	}
	sig.Min = mins
	return sig
}

// Similarity estimates the Jaccard similarity of the shingles of the
// texts a and b were made from: 1 for the same normalised text.
func Similarity(a, b Signature) float64 {
	if a.Exact != 0 && a.Exact == b.Exact {
		return 1
	}
	if a.Min == nil || b.Min == nil {
		return 0
	}
	same := 0
	for i := range a.Min {
		if a.Min[i] == b.Min[i] {
			same++
		}
	}
	return float64(same) / float64(len(a.Min))
}

// bandKeys are the LSH bucket keys of a signature: the exact hash, and
// one key per band.
func (s Signature) bandKeys(dst []uint64) []uint64 {
	dst = dst[:0]
	if s.Exact == 0 {
		return dst
	}
	dst = append(dst, s.Exact)
	if s.Min == nil {
		return dst
	}
	for b := 0; b < numBands; b++ {
		h := uint64(fnvOffset) ^ uint64(b+1)*0x9e3779b97f4a7c15
		for _, v := range s.Min[b*bandRows : (b+1)*bandRows] {
			h = (h ^ uint64(v)) * fnvPrime
			h ^= h >> 29
		}
		// Band keys never equal an exact hash: those are odd.
		dst = append(dst, h&^1)
	}
	return dst
}

// MaxRefs is how many texts of a group new texts are compared with: its
// first ones. A copy edited twice may be far from the first copy (itself
// edited) and close to the second; comparing with a few, not with every
// member, keeps a chain of small edits from drifting into another text.
const MaxRefs = 4

// Index groups texts as they are added. A new text joins the group one
// of whose first MaxRefs texts it is most similar to, when that
// similarity reaches the threshold; else it starts a group of its own.
// An Index is not safe for concurrent use.
type Index struct {
	threshold float64
	buckets   map[uint64][]int64 // band key → groups with a reference that has it
	refs      map[int64][]Signature
	keys      []uint64
	seen      map[int64]bool
}

// NewIndex returns an empty index; threshold ≤ 0 means DefaultThreshold.
func NewIndex(threshold float64) *Index {
	if threshold <= 0 {
		threshold = DefaultThreshold
	}
	return &Index{threshold: threshold, buckets: map[uint64][]int64{}, refs: map[int64][]Signature{}, seen: map[int64]bool{}}
}

// AddRef registers sig as one of the texts group is compared by, if the
// group has fewer than MaxRefs. Texts are added in the order they came.
func (x *Index) AddRef(group int64, sig Signature) {
	if sig.Exact == 0 || len(x.refs[group]) >= MaxRefs {
		return
	}
	x.refs[group] = append(x.refs[group], sig)
	x.keys = sig.bandKeys(x.keys)
	for _, k := range x.keys {
		b := x.buckets[k]
		if n := len(b); n > 0 && b[n-1] == group {
			continue
		}
		x.buckets[k] = append(b, group)
	}
}

// Groups is the number of groups the index holds.
func (x *Index) Groups() int { return len(x.refs) }

// Assign returns the group a text with signature sig belongs to: an
// existing one, or id, which then names a new group. A text with nothing
// left after normalisation is never grouped: it gets id.
func (x *Index) Assign(id int64, sig Signature) int64 {
	if sig.Exact == 0 {
		return id
	}
	x.keys = sig.bandKeys(x.keys)
	best, bestSim := int64(0), 0.0
	clear(x.seen)
	for _, k := range x.keys {
		for _, g := range x.buckets[k] {
			if x.seen[g] {
				continue
			}
			x.seen[g] = true
			for _, ref := range x.refs[g] {
				sim := Similarity(sig, ref)
				if sim >= x.threshold && (sim > bestSim || (sim == bestSim && g < best)) {
					best, bestSim = g, sim
				}
			}
		}
	}
	if best == 0 {
		best = id
	}
	x.AddRef(best, sig)
	return best
}
