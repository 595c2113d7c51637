package export

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/intake-gateway/intake/gateway/config"
)

// ParseSince reads the lower time bound of a filter as a person writes it:
// a date ("2026-11-01", midnight UTC), an RFC 3339 time, or a duration
// meaning "that long before now" ("7d", "36h", "90m"). "" gives the zero
// time (no bound).
func ParseSince(s string, now time.Time) (time.Time, error) {
	return parseBound(s, now, false)
}

// ParseUntil reads the upper bound like ParseSince, except that a bare
// date includes that whole day: "--until 2026-11-30" stops at midnight UTC
// at the end of the 30th.
func ParseUntil(s string, now time.Time) (time.Time, error) {
	return parseBound(s, now, true)
}

func parseBound(s string, now time.Time, endOfDay bool) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		if endOfDay {
			t = t.AddDate(0, 0, 1)
		}
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	// A time without a zone, as an HTML datetime-local input sends it, is
	// taken as UTC like everything else in the store.
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04", time.DateTime} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	if d, err := config.ParseDuration(s); err == nil {
		return now.Add(-d).UTC(), nil
	} else if errors.Is(err, config.ErrTooLong) {
		return time.Time{}, fmt.Errorf("export: %w", err)
	}
	return time.Time{}, fmt.Errorf("export: %q is not a date (2026-11-01), an RFC 3339 time (2026-11-01T09:30:00Z) or a duration ago (7d, 36h)", s)
}
