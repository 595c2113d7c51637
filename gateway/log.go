package gateway

import (
	"io"
	"log/slog"

	"github.com/intake-gateway/intake/gateway/config"
)

// NewLogger builds the process's logger from [log]. It is built once, in
// cmd, and passed down.
func NewLogger(w io.Writer, c config.Log) *slog.Logger {
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
