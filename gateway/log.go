package gateway

import (
	"io"
	"log/slog"
	"strings"
)

// NewLogger builds the process's logger from [log]. It is built once, in
// cmd, and passed down.
func NewLogger(w io.Writer, c LogConfig) *slog.Logger {
	var lvl slog.Level
	switch c.Level {
	case "debug":
		lvl = slog.LevelDebug
	case "warn":
		lvl = slog.LevelWarn
	case "error":
		lvl = slog.LevelError
	default:
		lvl = slog.LevelInfo
	}
	opt := &slog.HandlerOptions{Level: lvl}
	if c.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opt))
	}
	return slog.New(slog.NewTextHandler(w, opt))
}

// MaskAddress shows enough of an email address for an operator to tell
// two apart without logging who wrote: "j***@e***.org".
func MaskAddress(addr string) string {
	local, domain, ok := strings.Cut(addr, "@")
	if !ok {
		return MaskPhone(addr)
	}
	mask := func(s string) string {
		if s == "" {
			return ""
		}
		r := []rune(s)
		return string(r[0]) + "***"
	}
	tld := ""
	if i := strings.LastIndex(domain, "."); i >= 0 {
		tld, domain = domain[i:], domain[:i]
	}
	return mask(local) + "@" + mask(domain) + tld
}

// MaskPhone keeps the country code's first digits and the last two digits.
func MaskPhone(p string) string {
	r := []rune(p)
	if len(r) <= 6 {
		return strings.Repeat("*", len(r))
	}
	return string(r[:4]) + strings.Repeat("*", len(r)-6) + string(r[len(r)-2:])
}
