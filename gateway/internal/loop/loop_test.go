package loop

import (
	"context"
	"errors"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	half := func() float64 { return 0.5 }
	b := Backoff{Min: 100 * time.Millisecond, Max: time.Second, Jitter: half}
	// Equal jitter: d/2 + 0.5·d/2 = 0.75·d, with d doubling up to Max.
	for i, want := range []time.Duration{75, 150, 300, 600, 750, 750} {
		if got := b.Next(); got != want*time.Millisecond {
			t.Errorf("Next() #%d = %v, want %v", i, got, want*time.Millisecond)
		}
	}
	b.Reset()
	if got := b.Next(); got != 75*time.Millisecond {
		t.Errorf("Next() after Reset = %v, want 75ms", got)
	}
	b.Jitter = nil
	for range 100 {
		if d := b.Next(); d < 50*time.Millisecond || d >= time.Second {
			t.Fatalf("Next() = %v, outside [Min/2, Max)", d)
		}
	}
	// A failure counted elsewhere: After(n) is the delay Next gives after
	// n failures, and counts none.
	b.Jitter = half
	if got := b.After(2); got != 300*time.Millisecond {
		t.Errorf("After(2) = %v, want 300ms", got)
	}
	// Sleeping out a delay honours cancellation.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	slow := Backoff{Min: time.Hour, Max: time.Hour}
	start := time.Now()
	if err := Sleep(ctx, slow.Next()); !errors.Is(err, context.Canceled) || time.Since(start) > time.Second {
		t.Errorf("Sleep on a cancelled context = %v after %v", err, time.Since(start))
	}
}

func TestWake(t *testing.T) {
	ch := make(chan struct{}, 1)
	Wake(ch)
	Wake(ch) // a second wake-up while one is pending neither blocks nor queues
	<-ch
	select {
	case <-ch:
		t.Error("two wake-ups pending, want one")
	default:
	}
}
