package store

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/intake-gateway/intake/parser"
)

// TestErasureTombstones: once a participant's texts are erased (by their
// DELETE, or by staff through a reference), a retry of the same
// MessageSid (the webhook's, or a backfill's) stores nothing again, and a
// backfill does not even count it missing; only a keyed hash of each id
// is kept. A new text from them is stored as usual.
func TestErasureTombstones(t *testing.T) { drivers(t, testErasureTombstones) }

func testErasureTombstones(t *testing.T) {
	ctx := context.Background()
	s, _ := openSMSStore(t)
	d := &ackDecider{}
	const from = "+254712345678"
	first, second := smsIn(from, "Maji safi kwa shule"), smsIn(from, "Barabara ya soko")
	record(t, s, first, d)
	record(t, s, second, d)
	del := smsIn(from, "DELETE")
	del.Intent = parser.IntentDelete
	req := record(t, s, del, d)
	if _, err := s.Forget(ctx, Erasure{SenderID: req.SenderID, Channel: "sms", LedgerIDs: []int64{req.LedgerID}}); err != nil {
		t.Fatal(err)
	}
	// Another sender's text, erased by staff through its reference.
	otherIn := smsIn("+254700000001", "Taa za barabarani")
	other := record(t, s, otherIn, d)
	if _, err := s.ForgetRef(ctx, other.Ref); err != nil {
		t.Fatal(err)
	}
	ids := []string{first.MessageSID, second.MessageSID, del.MessageSID, otherIn.MessageSID}
	if n := smsCount(t, s, `SELECT COUNT(*) FROM erased_ids`); n != 4 {
		t.Errorf("erased_ids holds %d rows, want 4 (three texts and a DELETE)", n)
	}
	for _, id := range ids {
		if n := smsCount(t, s, `SELECT COUNT(*) FROM erased_ids WHERE id_hash LIKE ?`, "%"+strings.TrimPrefix(id, "SM")+"%"); n != 0 {
			t.Errorf("erased_ids holds %s in clear", id)
		}
	}

	fresh := smsIn(from, "Nimerudi")
	missing, err := s.MissingSMS(ctx, append(slices.Clone(ids), fresh.MessageSID))
	if err != nil || !slices.Equal(missing, []string{fresh.MessageSID}) {
		t.Errorf("MissingSMS after the erasure = %v, %v; want only the new text %s", missing, err, fresh.MessageSID)
	}
	for _, in := range []SMSInput{first, second, del, otherIn} {
		in.Late = true // as a backfill or a late retry sends it
		r := record(t, s, in, d)
		if !r.Erased || !r.Duplicate || r.Response != "" || r.LedgerID != 0 {
			t.Errorf("RecordSMS(%s) again after the erasure = %+v, want Erased and nothing stored", in.MessageSID, r)
		}
	}
	if n := smsCount(t, s, `SELECT COUNT(*) FROM ledger`); n != 0 {
		t.Errorf("ledger holds %d rows after the retries, want 0", n)
	}
	if n := smsCount(t, s, `SELECT COUNT(*) FROM suggestions`); n != 0 {
		t.Errorf("suggestions holds %d rows after the retries, want 0", n)
	}
	if r := record(t, s, fresh, d); r.Erased || r.Duplicate || r.SuggestionID == 0 {
		t.Errorf("a new text after the erasure = %+v, want a new suggestion", r)
	}
}
