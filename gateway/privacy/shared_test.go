package privacy

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/intake-gateway/intake/gateway/internal/testutil"
	"github.com/intake-gateway/intake/store"
	"github.com/intake-gateway/intake/store/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// TestRetentionSharedByGateways: three gateways on one PostgreSQL run
// retention at the same moment. Each expired payload and contact is
// deleted by exactly one of them (the rows are claimed with SKIP LOCKED),
// none fails, and together they delete all of them.
func TestRetentionSharedByGateways(t *testing.T) {
	const n, gateways = 300, 3
	ctx := context.Background()
	clock := testutil.NewClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	dsn := pgtest.DSN(t)
	var stores []*store.Store
	for range gateways {
		st, err := store.Open(ctx, "", store.Options{SenderKey: []byte("privacy test key, 32 bytes long!"), Now: clock.Now,
			Driver: store.DriverPostgres, DSN: dsn})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		stores = append(stores, st)
	}
	for i := range n {
		testutil.SaveEmail(t, stores[i%gateways], store.EmailItem{Source: "INBOX",
			Raw: testutil.Email(fmt.Sprintf("p%d@participant.example", i), fmt.Sprintf("m%d@x", i), "Idea", "Shade trees please")}, "c", nil)
	}
	clock.Advance(100 * 24 * time.Hour)

	r := Retention{Raw: 90 * 24 * time.Hour, Contacts: 90 * 24 * time.Hour}
	results := make([]RetentionResult, gateways)
	errs := make([]error, gateways)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for g, st := range stores {
		wg.Go(func() {
			<-start
			results[g], errs[g] = RunRetention(ctx, st, r, nil)
		})
	}
	close(start)
	wg.Wait()
	var raw, contacts int
	for g := range gateways {
		if errs[g] != nil {
			t.Errorf("gateway %d: %v", g, errs[g])
		}
		raw += results[g].RawPurged
		contacts += results[g].ContactsPurged
	}
	t.Logf("payloads purged per gateway: %d, %d, %d", results[0].RawPurged, results[1].RawPurged, results[2].RawPurged)
	if raw != n || contacts != n {
		t.Errorf("the gateways purged %d payloads and %d contacts in all, want %d of each, each once", raw, contacts, n)
	}
	db := testutil.OpenDB(t, dsn)
	if left := testutil.Count(t, db, `SELECT count(*) FROM ledger_raw`) + testutil.Count(t, db, `SELECT count(*) FROM contacts`); left != 0 {
		t.Errorf("%d payloads and contacts left, want 0", left)
	}
	if s := testutil.Count(t, db, `SELECT count(*) FROM suggestions`); s != n {
		t.Errorf("%d suggestions, want %d: retention keeps the parsed text", s, n)
	}
}
