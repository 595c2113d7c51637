package ingest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
)

// fromLine starts every message of an mbox file (RFC 4155).
var fromLine = []byte("From ")

// mboxMessage is one message cut from an mbox file.
type mboxMessage struct {
	Raw       []byte // nil when Err is set
	Line      int    // 1-based line of its From_ line
	Err       error  // errMessageTooBig or errEmptyMessage
	Truncated bool   // the file ended inside it, without a final newline
}

// readMbox splits an mbox stream into messages and hands each to emit, in
// order, streaming: only one message is in memory at a time, and at most
// max bytes of it.
//
// The format is read as mboxrd, which is also right for the older mboxo:
// every line starting "From " begins a message (writers escape such lines
// in bodies), the blank line a writer puts before the next From_ line is
// not part of the message, and one ">" is taken off any line matching
// ^>+From .
//
// It returns the number of non-blank bytes found before the first From_
// line (not mail, so not ingested), and a read error if the file could not
// be read to its end; the message being read then is not emitted. An error
// from emit stops the reading and is returned as is.
func readMbox(r *bufio.Reader, max int, emit func(mboxMessage) error) (preamble int, err error) {
	var (
		buf      bytes.Buffer
		inMsg    bool // a From_ line has been seen
		start    int  // line of the current message's From_ line
		tooBig   bool
		line     int // complete lines read so far
		atStart  = true
		skipLine bool // discarding the rest of a From_ line longer than r's buffer
	)
	flush := func(eof bool) error {
		if !inMsg {
			return nil
		}
		m := mboxMessage{Line: start}
		raw := buf.Bytes()
		switch {
		case tooBig:
			m.Err = errMessageTooBig
		case len(bytes.TrimSpace(raw)) == 0:
			m.Err = errEmptyMessage
		default:
			m.Truncated = eof && raw[len(raw)-1] != '\n'
			m.Raw = bytes.Clone(trimSeparator(raw))
		}
		buf.Reset()
		tooBig = false
		return emit(m)
	}
	for {
		chunk, rerr := r.ReadSlice('\n')
		if len(chunk) > 0 {
			complete := chunk[len(chunk)-1] == '\n'
			switch {
			case skipLine:
				skipLine = !complete
			case atStart && bytes.HasPrefix(chunk, fromLine):
				if err := flush(false); err != nil {
					return preamble, err
				}
				inMsg, start = true, line+1
				skipLine = !complete
			case !inMsg:
				preamble += len(bytes.TrimSpace(chunk))
			case tooBig:
				// Keep reading to the next From_ line, keeping nothing.
			default:
				if atStart {
					chunk = unescapeFrom(chunk)
				}
				if buf.Len()+len(chunk) > max {
					tooBig = true
					buf.Reset()
				} else {
					buf.Write(chunk)
				}
			}
			if complete {
				line++
			}
			atStart = complete
		}
		switch {
		case rerr == nil, errors.Is(rerr, bufio.ErrBufferFull):
			continue
		case errors.Is(rerr, io.EOF):
			return preamble, flush(true)
		default:
			rerr = withoutPath(rerr) // the caller names the file
			if inMsg {
				return preamble, fmt.Errorf("read message at line %d: %w", start, rerr)
			}
			return preamble, rerr
		}
	}
}

// unescapeFrom undoes mboxrd quoting of one line: ">From " becomes "From ",
// ">>From " becomes ">From ", and other lines are left alone.
func unescapeFrom(line []byte) []byte {
	i := 0
	for i < len(line) && line[i] == '>' {
		i++
	}
	if i > 0 && bytes.HasPrefix(line[i:], fromLine) {
		return line[1:]
	}
	return line
}

// trimSeparator drops the blank line an mbox writer adds after each
// message.
func trimSeparator(raw []byte) []byte {
	switch {
	case bytes.HasSuffix(raw, []byte("\r\n\r\n")):
		return raw[:len(raw)-2]
	case bytes.HasSuffix(raw, []byte("\n\n")):
		return raw[:len(raw)-1]
	}
	return raw
}

// mbox ingests every message of an mbox file. A message that is empty or
// too big, bytes before the first From_ line, and a read error part-way are
// each listed in Failed; the messages around them are still ingested.
func (fi *fileIngest) mbox(ctx context.Context, p, source string, br *bufio.Reader) error {
	n := 0
	var storeErr error
	preamble, err := readMbox(br, maxFileMessageSize, func(m mboxMessage) error {
		n++
		if err := ctx.Err(); err != nil {
			storeErr = err
			return err
		}
		if m.Err != nil {
			fi.fail(p, fmt.Errorf("message %d at line %d: %w", n, m.Line, m.Err))
			return nil
		}
		if m.Truncated {
			fi.in.log().Warn("mbox file ends inside a message; ingesting what is there",
				"path", p, "message", n, "line", m.Line)
		}
		if err := fi.message(ctx, source, m.Raw); err != nil {
			storeErr = err
			return err
		}
		return nil
	})
	if storeErr != nil {
		return storeErr
	}
	if preamble > 0 {
		fi.fail(p, fmt.Errorf("%d bytes of text before the first \"From \" line are not mail and were not ingested", preamble))
	}
	if err != nil {
		fi.fail(p, fmt.Errorf("after %d messages: %w", n, err))
	}
	return nil
}
