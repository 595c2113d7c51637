package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestStaffSessions(t *testing.T) { drivers(t, testStaffSessions) }

// testStaffSessions: a session made on one gateway is seen, ended and
// revoked on another sharing the database.
func testStaffSessions(t *testing.T) {
	ctx := context.Background()
	now := expT0
	ss := openShared(t, 2, Options{})
	a, b := ss[0], ss[1]
	live := func(s *Store, id string) bool {
		_, err := s.StaffSessionByID(ctx, id, now)
		if err != nil && !errors.Is(err, ErrNotFound) {
			t.Fatal(err)
		}
		return err == nil
	}
	for _, c := range []struct{ id, token string }{{"s1", "tokA"}, {"s2", "tokA"}, {"s3", "tokB"}, {"s4", "tokC"}} {
		if err := a.CreateStaffSession(ctx, c.id, c.token, now, now.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := b.StaffSessionByID(ctx, "s3", now); err != nil || got.TokenID != "tokB" || !got.ExpiresAt.Equal(now.Add(time.Hour)) {
		t.Errorf("StaffSessionByID(s3) on the other gateway = %+v, %v", got, err)
	}
	if err := b.EndStaffSession(ctx, "s1"); err != nil {
		t.Fatal(err)
	}
	if live(a, "s1") || !live(a, "s2") {
		t.Errorf("after logout of s1 elsewhere: s1 live %v, s2 live %v; want false, true", live(a, "s1"), live(a, "s2"))
	}
	if n, err := b.RevokeStaffSessionsExcept(ctx, []string{"tokA", "tokC"}); err != nil || n != 1 {
		t.Errorf("RevokeStaffSessionsExcept = %d, %v; want 1 (tokB's)", n, err)
	}
	if live(a, "s3") || !live(a, "s4") {
		t.Errorf("after revoking tokB: s3 live %v, s4 live %v; want false, true", live(a, "s3"), live(a, "s4"))
	}
	now = now.Add(time.Hour)
	if live(a, "s2") {
		t.Error("an expired session is still live")
	}
	if n, err := a.RevokeStaffSessionsExcept(ctx, nil); err != nil || n != 2 {
		t.Errorf("RevokeStaffSessionsExcept(none) = %d, %v; want 2", n, err)
	}
}
