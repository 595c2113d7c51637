package staff

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/intake-gateway/intake/store"
)

// A database of a million suggestions for the list's benchmark, made once
// per test binary in a temporary directory (removed by TestMain).
var million struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if million.dir != "" {
		os.RemoveAll(million.dir)
	}
	os.Exit(code)
}

const millionRows = 1_000_000

// millionDB creates the schema with the store, then writes the rows
// straight into the file in transactions of 50,000 (the full-text
// triggers index them as they go), without syncing: it is test data.
func millionDB(tb testing.TB) string {
	tb.Helper()
	million.once.Do(func() {
		// INTAKE_MILLION_DB keeps the database at that path between
		// runs (made if missing), to study query plans on it.
		if p := os.Getenv("INTAKE_MILLION_DB"); p != "" {
			million.path = p
			if _, err := os.Stat(p); err == nil {
				return
			}
		} else {
			million.dir, million.err = os.MkdirTemp("", "intake-million-")
			if million.err != nil {
				return
			}
			million.path = filepath.Join(million.dir, "intake.db")
		}
		million.err = fillMillion(million.path)
	})
	if million.err != nil {
		tb.Fatal(million.err)
	}
	return million.path
}

func fillMillion(path string) error {
	ctx := context.Background()
	st, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		return err
	}
	st.Close()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(OFF)&_pragma=cache_size(-200000)")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	r := rand.New(rand.NewPCG(7, 7))
	latin := strings.Fields("we need clean water school road clinic market bus light park tree river bridge nurse teacher " +
		"safety price land rain farm fish youth women jobs health waste toilet street police tax budget plan forest " +
		"nous voulons eau propre école route marché santé emploi maji safi shule barabara soko afya kazi")
	words := map[string][]string{
		"zh": strings.Fields("我们 需要 干净 饮用水 学校 道路 诊所 市场 公交 路灯 公园 树木 河流 桥梁 护士 老师"),
		"th": strings.Fields("เรา ต้องการ น้ำ สะอาด โรงเรียน ถนน คลินิก ตลาด รถเมล์ ไฟ สวน ต้นไม้ แม่น้ำ"),
		"ar": strings.Fields("نريد ماء نظيف المدرسة الطريق العيادة السوق الحافلة الحديقة الأشجار النهر الجسر"),
	}
	langs := []string{"en", "en", "en", "fr", "sw", "sw", "zh", "th", "ar"}
	channels := []string{"email", "sms", "sms", "whatsapp"}
	t0 := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	for start := 0; start < millionRows; start += 50_000 {
		tx, err := db.Begin()
		if err != nil {
			return err
		}
		ins, err := tx.Prepare(`INSERT INTO suggestions (id, ref, channel, campaign, sender_id, received_at, updated_at, subject, body, language, tags, transport)
			VALUES (?, ?, ?, ?, ?, ?, ?, '', ?, ?, ?, ?)`)
		if err != nil {
			tx.Rollback()
			return err
		}
		for i := start; i < start+50_000; i++ {
			lang, ch := langs[r.IntN(len(langs))], channels[r.IntN(len(channels))]
			vocab, sep := latin, " "
			if w, ok := words[lang]; ok {
				vocab, sep = w, ""
				if lang == "ar" {
					sep = " "
				}
			}
			n := 8 + r.IntN(30)
			body := make([]string, n)
			for j := range body {
				body[j] = vocab[r.IntN(len(vocab))]
			}
			at := t0.Add(time.Duration(i) * 5 * time.Second).Format(time.RFC3339Nano)
			transport := ""
			if ch != "email" {
				transport = "twilio"
			}
			if _, err := ins.Exec(i+1, fmt.Sprintf("M%07d", i), ch, []string{"roads", "parks", "water"}[i%3], fmt.Sprintf("s_%06d", r.IntN(300_000)),
				at, at, strings.Join(body, sep), lang, []string{"", "", "water", "school, roads"}[r.IntN(4)], transport); err != nil {
				tx.Rollback()
				return err
			}
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	_, err = db.Exec(`ANALYZE`)
	return err
}

// BenchmarkListMillion serves the list page over a million suggestions
// with a filter (channel, language and a search term, in a spaced and in
// a spaceless script), as staff load it: the page, its count, its rows.
func BenchmarkListMillion(b *testing.B) {
	path := millionDB(b)
	st, err := store.Open(context.Background(), path, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	if fi, err := os.Stat(path); err == nil {
		b.Logf("database: %d suggestions, %.0f MB", millionRows, float64(fi.Size())/1e6)
	}
	srv := staffServer(b, st, true, nil)
	for _, c := range []struct{ name, query string }{
		{"channel+language+word", "channel=sms&language=sw&q=maji"},
		{"channel+language+chinese", "channel=whatsapp&language=zh&q=" + "%E9%A5%AE%E7%94%A8%E6%B0%B4"}, // 饮用水
		{"since+word", "since=2026-10-01&q=water+AND+school"},
		{"one-per-group+word", "groups=1&language=en&q=clinic"},
	} {
		b.Run(c.name, func(b *testing.B) {
			c0 := cpuTime()
			for b.Loop() {
				r := staffGet(b, srv, "/staff/?"+c.query, staffReadToken)
				if r.status != http.StatusOK || !strings.Contains(r.body, `id="results"`) || strings.Contains(r.body, "Nothing matches") {
					b.Fatalf("list ?%s: %d", c.query, r.status)
				}
			}
			// The CPU time of the process (server and client): on a
			// machine shared with other work, the wall time says more
			// about the neighbours.
			b.ReportMetric(float64((cpuTime()-c0).Milliseconds())/float64(b.N), "cpu-ms/op")
		})
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
