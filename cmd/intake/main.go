// Command intake is the consultation intake gateway: it polls mailboxes,
// receives SMS webhooks, stores clean suggestions in SQLite and exports them
// for staff. Run `intake help` for the subcommands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// Exit codes, the same for every subcommand.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Run(ctx, os.Args[1:], Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.LookupEnv})
	stop()
	os.Exit(code)
}

// Env is what a command may touch of the outside world; tests supply their own.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) (string, bool)
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	usage   string // argument synopsis after the name
	run     func(ctx context.Context, c *cmdContext) error
	flags   func(fs *flag.FlagSet, c *cmdContext)
}

// usageError is a mistake in how intake was called: exit code 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func commands() []*command {
	return []*command{
		serveCommand(), demoCommand(), ingestCommand(), parseCommand(), exportCommand(), statsCommand(),
		checkCommand(), forgetCommand(), purgeCommand(), migrateCommand(), smsCommand(), versionCommand(),
	}
}

func findCommand(name string) *command {
	for _, c := range commands() {
		if c.name == name {
			return c
		}
	}
	return nil
}

func mainUsage(w io.Writer) {
	fmt.Fprintf(w, "intake — email and SMS intake for public consultations\n\nUsage: intake COMMAND [flags] [args]\n\nCommands:\n")
	cs := commands()
	sort.Slice(cs, func(i, j int) bool { return cs[i].name < cs[j].name })
	for _, c := range cs {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintf(w, "  %-8s %s\n", "help", "show help for a command: intake help COMMAND")
	fmt.Fprintf(w, "\nExit codes: 0 ok, 1 failure, 2 usage error.\n")
}

// Run runs intake with args (without the program name) and returns the exit code.
func Run(ctx context.Context, args []string, env Env) int {
	if env.Getenv == nil {
		env.Getenv = func(string) (string, bool) { return "", false }
	}
	if len(args) == 0 {
		mainUsage(env.Stderr)
		return exitUsage
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(rest) == 0 {
			mainUsage(env.Stdout)
			return exitOK
		}
		c := findCommand(rest[0])
		if c == nil {
			fmt.Fprintf(env.Stderr, "intake help: unknown command %q\n\n", rest[0])
			mainUsage(env.Stderr)
			return exitUsage
		}
		cc := &cmdContext{Env: env}
		fs := c.flagSet(cc, env.Stdout)
		fs.Usage()
		return exitOK
	case "-version", "--version":
		name = "version"
	}
	c := findCommand(name)
	if c == nil {
		fmt.Fprintf(env.Stderr, "intake: unknown command %q\n\n", name)
		mainUsage(env.Stderr)
		return exitUsage
	}
	cc := &cmdContext{Env: env}
	fs := c.flagSet(cc, env.Stderr)
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage // the flag package already named the flag and printed the usage
	}
	cc.args = fs.Args()
	err := c.run(ctx, cc)
	cc.close()
	var ue usageError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ue):
		fmt.Fprintf(env.Stderr, "intake %s: %s\n\n", c.name, ue.msg)
		fs.SetOutput(env.Stderr)
		fs.Usage()
		return exitUsage
	default:
		fmt.Fprintf(env.Stderr, "intake %s: %s\n", c.name, indentErr(err))
		return exitFailure
	}
}

// indentErr prints joined errors (config validation) one per line.
func indentErr(err error) string {
	s := err.Error()
	if !strings.Contains(s, "\n") {
		return s
	}
	return "\n  " + strings.ReplaceAll(s, "\n", "\n  ")
}

func (c *command) flagSet(cc *cmdContext, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("intake "+c.name, flag.ContinueOnError)
	fs.SetOutput(out)
	if c.flags != nil {
		c.flags(fs, cc)
	}
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprintf(w, "Usage: intake %s %s\n\n%s\n", c.name, c.usage, c.summary)
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprintf(w, "\nFlags:\n")
			fs.PrintDefaults()
		}
	}
	return fs
}
