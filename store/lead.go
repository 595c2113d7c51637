package store

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Lease is this instance's lead of a mailbox: while it holds, no other
// gateway sharing the database polls that mailbox.
//
// On PostgreSQL it is a session advisory lock held on a connection of its
// own: it ends when Release is called, and also when that connection
// dies (this process was killed, the server restarted, the network
// failed), which frees the mailbox for another gateway at once. Lost is
// closed then; the holder must stop polling. On SQLite, which one
// process uses, it is a lock within this Store.
type Lease struct {
	mailbox  string
	release  func()
	lost     chan struct{}
	once     sync.Once
	lostOnce sync.Once
	done     chan struct{} // closed by Release: stops the watcher
}

// leaseCheck is how often a PostgreSQL lease checks its connection.
const leaseCheck = 2 * time.Second

// Lead tries to take the lead of mailbox for this instance. It returns
// nil and no error when another instance (or this one) leads it: try
// again later (the poll interval is a good pace). Close releases the
// leases still held.
func (s *Store) Lead(ctx context.Context, mailbox string) (*Lease, error) {
	l := &Lease{mailbox: mailbox, lost: make(chan struct{}), done: make(chan struct{})}
	// This Store's own leases, on either driver: Close releases them.
	if _, taken := s.leads.LoadOrStore(mailbox, l); taken {
		return nil, nil
	}
	forget := func() { s.leads.CompareAndDelete(mailbox, l) }
	if !s.pg {
		l.release = forget
		return l, nil
	}
	// If this machine vanishes from the network, the server notices
	// through TCP keepalives (about 11 s with these, instead of the
	// system's two hours) and frees the mailbox; meanwhile this side's
	// pings have failed and the holder has stopped.
	cfg := s.pgConf.Copy()
	cfg.RuntimeParams["tcp_keepalives_idle"] = "5"
	cfg.RuntimeParams["tcp_keepalives_interval"] = "2"
	cfg.RuntimeParams["tcp_keepalives_count"] = "3"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		forget()
		return nil, fmt.Errorf("store: lead mailbox %s: connect to %s: %w", mailbox, s.path, err)
	}
	var got bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1, hashtext($2))`, lockMailbox, mailbox).Scan(&got); err != nil || !got {
		conn.Close(context.WithoutCancel(ctx))
		forget()
		if err != nil {
			return nil, fmt.Errorf("store: lead mailbox %s: %w", mailbox, err)
		}
		return nil, nil
	}
	var mu sync.Mutex // the watcher's pings and Release's close share the connection
	l.release = func() {
		mu.Lock()
		defer mu.Unlock()
		// Closing the session releases its advisory locks.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		conn.Close(ctx)
		forget()
	}
	go func() {
		t := time.NewTicker(leaseCheck)
		defer t.Stop()
		for {
			select {
			case <-l.done:
				return
			case <-t.C:
			}
			mu.Lock()
			ctx, cancel := context.WithTimeout(context.Background(), leaseCheck)
			err := conn.Ping(ctx)
			cancel()
			mu.Unlock()
			if err != nil {
				s.log.Warn("lost the lead of a mailbox: its database connection failed", "mailbox", mailbox, "err", err)
				l.markLost()
				l.Release()
				return
			}
		}
	}()
	return l, nil
}

// Mailbox is the mailbox the lease is for.
func (l *Lease) Mailbox() string { return l.mailbox }

// Lost is closed when the lease ends, by Release or because its
// connection to the database failed.
func (l *Lease) Lost() <-chan struct{} { return l.lost }

func (l *Lease) markLost() { l.lostOnce.Do(func() { close(l.lost) }) }

// Release gives the lead up. It is safe to call more than once.
func (l *Lease) Release() {
	l.once.Do(func() {
		close(l.done)
		l.release()
		l.markLost()
	})
}
