package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes of every subcommand.
const (
	exitOK      = 0 // success, or stopped by a signal as asked
	exitFailure = 1 // a runtime failure, or a second signal
	exitUsage   = 2 // bad command line or configuration
)

// command is one subcommand, implemented in cmd_<name>.go.
type command struct {
	name    string
	summary string // one line for `rocketkit help`
	// run executes the command with the arguments after its name and returns
	// the exit code. Cancelling ctx (SIGINT or SIGTERM) asks it to stop.
	run func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

// commands lists the subcommands in the order `rocketkit help` shows them.
// To add one, write cmd_<name>.go with its run function and add it here.
var commands = []command{
	{name: "admin", summary: "administer a cluster: topics, routes, consumer progress, messages (mqadmin's commands)", run: runAdmin},
	{name: "bench", summary: "benchmark a cluster through the official client (producer.sh and consumer.sh)", run: runBench},
	{name: "broker", summary: "run a RocketMQ-compatible name server and broker", run: runBroker},
	{name: "console", summary: "serve the web console against a cluster (the embedded broker's: rocketkit broker --http)", run: runConsole},
	{name: "demo", summary: "run the embedded broker end to end through the official client", run: runDemo},
	{name: "namesrv", summary: "run a standalone name server that brokers (namesrvAddr) register with", run: runNamesrv},
	{name: "new", summary: "write a new service (fx app, listener, template) that runs on the embedded broker", run: runNew},
}

func main() {
	ctx, stop := signalContext(context.Background())
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run dispatches args (without the program name) to a subcommand and
// returns the exit code.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch name := args[0]; name {
	case "help", "-h", "-help", "--help":
		if name != "help" || len(args) == 1 {
			usage(stdout)
			return exitOK
		}
		if c := lookup(args[1]); c != nil {
			return c.run(ctx, []string{"-h"}, stdout, stderr)
		}
		fmt.Fprintf(stderr, "rocketkit help: unknown command %q\n\n", args[1])
		usage(stderr)
		return exitUsage
	}
	c := lookup(args[0])
	if c == nil {
		fmt.Fprintf(stderr, "rocketkit: unknown command %q\n\n", args[0])
		usage(stderr)
		return exitUsage
	}
	return c.run(ctx, args[1:], stdout, stderr)
}

func lookup(name string) *command {
	for i := range commands {
		if commands[i].name == name {
			return &commands[i]
		}
	}
	return nil
}

func usage(w io.Writer) {
	fmt.Fprint(w, "rocketkit is the RocketKit command line.\n\nUsage:\n\n\trocketkit <command> [flags]\n\nCommands:\n\n")
	for _, c := range commands {
		fmt.Fprintf(w, "\t%-10s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, "\nRun \"rocketkit help <command>\" or \"rocketkit <command> -h\" for a command's flags.\n")
}

// signalContext returns a context that is cancelled, with the signal as
// its cause, on the first SIGINT or SIGTERM; a second one exits the process
// at once with exitFailure. stop releases the signals.
func signalContext(parent context.Context) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(parent)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-sigs:
			cancel(fmt.Errorf("received %v", sig))
		case <-done:
			return
		}
		select {
		case sig := <-sigs:
			fmt.Fprintf(os.Stderr, "rocketkit: received %v again, exiting without cleaning up\n", sig)
			os.Exit(exitFailure)
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel(nil)
	}
}
