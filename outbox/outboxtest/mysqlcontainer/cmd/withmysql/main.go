// Command withmysql starts a MySQL container (mysqlcontainer.Start,
// configured by ROCKETKIT_MYSQL_IMAGE and ROCKETKIT_MYSQL_NETWORK) and runs
// a command with MYSQL_DSN set to it, then removes the container - also on
// SIGINT or SIGTERM, so it needs no testcontainers reaper.
//
//	withmysql [-C dir] command [args...]
//
// It prints the container, the server's version, and afterwards how many
// databases were created on the server (outboxtest makes one per test),
// which shows that the command's tests ran there. It exits with the
// command's status.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"

	"github.com/rocketkit/rocketkit/outbox/outboxtest/mysqlcontainer"
)

func main() {
	os.Exit(run())
}

func run() int {
	dir := flag.String("C", "", "run the command in `dir`")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: withmysql [-C dir] command [args...]")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	cfg := mysqlcontainer.ConfigFromEnv()
	fmt.Printf("withmysql: starting %s (host network: %v)\n", imageName(cfg), cfg.HostNetwork)
	c, err := mysqlcontainer.Start(ctx, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "withmysql:", err)
		return 1
	}
	// Removed on every way out; a fresh context, as ctx may be the
	// cancelled one.
	defer func() {
		tctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := c.Terminate(tctx); err != nil {
			fmt.Fprintln(os.Stderr, "withmysql: remove container:", err)
			return
		}
		fmt.Printf("withmysql: removed container %.12s\n", c.ID)
	}()
	fmt.Println("withmysql:", c)
	v, err := c.Version(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "withmysql: server version:", err)
		return 1
	}
	fmt.Printf("withmysql: server version %s; MYSQL_DSN=%s\n", v, redact(c.DSN))
	before, err := c.DatabasesCreated(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "withmysql:", err)
		return 1
	}

	cmd := exec.CommandContext(ctx, flag.Arg(0), flag.Args()[1:]...)
	cmd.Dir = *dir
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), "MYSQL_DSN="+c.DSN)
	// On a signal the command gets SIGINT (go test passes it on to the
	// test binaries) and a minute to finish before it is killed.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = time.Minute
	runErr := cmd.Run()

	if after, err := c.DatabasesCreated(context.WithoutCancel(ctx)); err == nil {
		fmt.Printf("withmysql: the command created %d databases on %s (MariaDB/MySQL %s)\n", after-before, c.Addr, v)
	}
	if runErr != nil {
		fmt.Fprintln(os.Stderr, "withmysql:", runErr)
		var ee *exec.ExitError
		if errors.As(runErr, &ee) && ee.ExitCode() > 0 {
			return ee.ExitCode()
		}
		return 1
	}
	return 0
}

func imageName(cfg mysqlcontainer.Config) string {
	if cfg.Image == "" {
		return mysqlcontainer.DefaultImage
	}
	return cfg.Image
}

// redact hides the password of a user:password@... DSN.
func redact(dsn string) string {
	for i := 0; i < len(dsn); i++ {
		switch dsn[i] {
		case ':':
			for j := i; j < len(dsn); j++ {
				if dsn[j] == '@' {
					return dsn[:i+1] + "***" + dsn[j:]
				}
			}
			return dsn
		case '@':
			return dsn
		}
	}
	return dsn
}
