// Package pgtest starts a private PostgreSQL server for a test binary, on
// a free loopback port in a temporary directory, and hands each test a
// fresh database on it.
//
// The server is started on first use, from Debian's binaries
// (/usr/lib/postgresql/N/bin, the newest N) or initdb and pg_ctl on PATH;
// as root it runs as the postgres user, since PostgreSQL refuses root.
// Where the binaries are missing, tests that need the server say so and
// skip, except under CI=true, where they fail: CI installs PostgreSQL, so
// a skip there would hide a broken setup. Main stops the server when the
// tests end.
package pgtest

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// server is the test binary's PostgreSQL.
type server struct {
	dir, bin string
	port     int
	asUser   string // run the binaries as this user ("" for ourselves)
	admin    *sql.DB
	next     atomic.Int64
}

// Server is a private PostgreSQL server of one test, which the test may
// stop and start again: to see what a gateway does while its database
// is down. Tests that do not stop the server use DSN, which shares one.
type Server struct {
	s *server
}

// Start starts a private server, stopped and removed when tb ends. It
// skips or fails tb as DSN does when PostgreSQL is missing.
func Start(tb testing.TB) *Server {
	tb.Helper()
	require(tb)
	s, err := start()
	if err != nil {
		tb.Fatalf("start PostgreSQL: %v", err)
	}
	tb.Cleanup(s.stop)
	return &Server{s: s}
}

// DSN returns the connection string of a fresh, empty database on the
// server, as the package's DSN does.
func (s *Server) DSN(tb testing.TB) string {
	tb.Helper()
	return s.s.newDB(tb)
}

// Stop stops the server at once, as a crash would (pg_ctl -m immediate):
// every connection is dropped, and what was committed survives.
func (s *Server) Stop(tb testing.TB) {
	tb.Helper()
	if out, err := s.s.run("pg_ctl", "-D", filepath.Join(s.s.dir, "data"), "-m", "immediate", "-w", "stop"); err != nil {
		tb.Fatalf("pg_ctl stop: %v: %s", err, out)
	}
}

// Restart starts the stopped server again, on the same port with the
// same data, and returns once it accepts connections.
func (s *Server) Restart(tb testing.TB) {
	tb.Helper()
	if err := s.s.start(); err != nil {
		tb.Fatal(err)
	}
}

var (
	once   sync.Once
	srv    *server
	srvErr error
)

// Main runs the tests and stops the server if one was started. Use it
// from TestMain: os.Exit(pgtest.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	if srv != nil {
		srv.stop()
	}
	return code
}

// Missing says why PostgreSQL cannot be started here, "" when it can.
func Missing() string {
	if _, err := binDir(); err != nil {
		return err.Error()
	}
	return ""
}

// DSN returns the connection string of a fresh, empty database (UTF8,
// C.UTF-8 locale) owned by a role that may create the extensions intake
// uses. The database is dropped when the test ends.
func DSN(tb testing.TB) string {
	tb.Helper()
	require(tb)
	once.Do(func() { srv, srvErr = start() })
	if srvErr != nil {
		tb.Fatalf("start PostgreSQL: %v", srvErr)
	}
	return srv.newDB(tb)
}

// require skips tb where PostgreSQL is missing, or fails it under CI.
func require(tb testing.TB) {
	tb.Helper()
	if why := Missing(); why != "" {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("PostgreSQL is required under CI=true: %s (.ci/run installs Debian's postgresql)", why)
		}
		tb.Skipf("SKIPPING the PostgreSQL half of this test: %s (install Debian's postgresql to run it)", why)
	}
}

func (s *server) newDB(tb testing.TB) string {
	tb.Helper()
	name := fmt.Sprintf("t%d", s.next.Add(1))
	ctx := context.Background()
	if _, err := s.admin.ExecContext(ctx, `CREATE DATABASE `+name+` OWNER intake ENCODING 'UTF8' LOCALE 'C.UTF-8' TEMPLATE template0`); err != nil {
		tb.Fatalf("create database %s: %v", name, err)
	}
	tb.Cleanup(func() {
		s.admin.ExecContext(context.Background(), `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`)
	})
	return s.dsn("intake", name)
}

func (s *server) dsn(user, db string) string {
	return fmt.Sprintf("postgres://%s:%s@127.0.0.1:%d/%s?sslmode=disable", user, user, s.port, db)
}

// binDir finds the directory of initdb and pg_ctl.
func binDir() (string, error) {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) < version(dirs[j]) })
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "pg_ctl")); err == nil {
			return dirs[i], nil
		}
	}
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if _, err := exec.LookPath("initdb"); err == nil {
			return filepath.Dir(p), nil
		}
	}
	return "", fmt.Errorf("no PostgreSQL server binaries (initdb, pg_ctl) in /usr/lib/postgresql/*/bin or on PATH")
}

func version(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

func start() (*server, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	s := &server{bin: bin}
	if os.Geteuid() == 0 {
		if _, err := user.Lookup("postgres"); err != nil {
			return nil, fmt.Errorf("running as root, and there is no postgres user to run PostgreSQL as: %w", err)
		}
		s.asUser = "postgres"
	}
	if s.dir, err = os.MkdirTemp("", "pgtest"); err != nil {
		return nil, err
	}
	if s.asUser != "" {
		if out, err := exec.Command("chown", s.asUser, s.dir).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("chown %s: %v: %s", s.dir, err, out)
		}
	}
	os.Chmod(s.dir, 0o700)
	if s.port, err = freePort(); err != nil {
		return nil, err
	}
	data := filepath.Join(s.dir, "data")
	if out, err := s.run("initdb", "-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"); err != nil {
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	if err := s.start(); err != nil {
		return nil, err
	}
	cfg, err := pgx.ParseConfig(s.dsn("postgres", "postgres"))
	if err != nil {
		s.stop()
		return nil, err
	}
	s.admin = stdlib.OpenDB(*cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := s.admin.ExecContext(ctx, `CREATE ROLE intake LOGIN PASSWORD 'intake'`); err != nil {
		s.stop()
		return nil, fmt.Errorf("create role: %w", err)
	}
	return s, nil
}

// start starts the initialised server and waits until it accepts
// connections.
func (s *server) start() error {
	data := filepath.Join(s.dir, "data")
	// PGTEST_OPTIONS adds server settings, e.g. "-c log_min_duration_statement=10";
	// PGTEST_LOG names a file the server log is copied to when it stops.
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c max_connections=300 -c fsync=on %s", s.port, s.dir, os.Getenv("PGTEST_OPTIONS"))
	if out, err := s.run("pg_ctl", "-D", data, "-l", filepath.Join(s.dir, "pg.log"), "-w", "-t", "60", "-o", opts, "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(s.dir, "pg.log"))
		return fmt.Errorf("pg_ctl start: %v: %s\n%s", err, out, log)
	}
	return nil
}

func (s *server) run(name string, args ...string) ([]byte, error) {
	path := filepath.Join(s.bin, name)
	var cmd *exec.Cmd
	if s.asUser != "" {
		cmd = exec.Command("runuser", append([]string{"-u", s.asUser, "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	cmd.Dir = s.dir
	return cmd.CombinedOutput()
}

func (s *server) stop() {
	if s.admin != nil {
		s.admin.Close()
	}
	s.run("pg_ctl", "-D", filepath.Join(s.dir, "data"), "-m", "immediate", "-w", "stop")
	if dst := os.Getenv("PGTEST_LOG"); dst != "" {
		if b, err := os.ReadFile(filepath.Join(s.dir, "pg.log")); err == nil {
			os.WriteFile(dst, b, 0o644)
		}
	}
	os.RemoveAll(s.dir)
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
