package clienttest

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"testing"

	"github.com/rocketkit/rocketkit/internal/clientlog"
)

// childEnv marks the re-executed test binary; originalHomeEnv carries the
// HOME it replaced.
const (
	childEnv        = "ROCKETKIT_CLIENTTEST_CHILD"
	originalHomeEnv = "ROCKETKIT_CLIENTTEST_ORIGINAL_HOME"
)

// LogEnv names the environment variable that, set to debug, info, warn or
// error, sends the client's logs at that level to stderr.
const LogEnv = "ROCKETKIT_CLIENT_LOG"

// Main runs the tests in a child process whose HOME and the client's local
// offset directory are a fresh temporary directory, removed afterwards, and
// exits with the child's status.
func Main(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		clientlog.Route(logger())
		os.Exit(m.Run())
	}
	os.Exit(reexec())
}

func reexec() int {
	home, err := os.MkdirTemp("", "rocketkit-clienttest-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "clienttest:", err)
		return 1
	}
	defer os.RemoveAll(home)
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "clienttest:", err)
		return 1
	}
	cmd := exec.Command(exe, os.Args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), childEnv+"=1", originalHomeEnv+"="+os.Getenv("HOME"), "HOME="+home,
		"rocketmq.client.localOffsetStoreDir="+home+"/.rocketmq_client_go")
	err = cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		return exit.ExitCode()
	default:
		fmt.Fprintln(os.Stderr, "clienttest: run tests:", err)
		return 1
	}
}

func logger() *slog.Logger {
	var level slog.Level
	switch os.Getenv(LogEnv) {
	case "debug":
		level = slog.LevelDebug
	case "info":
		level = slog.LevelInfo
	case "warn":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	default:
		return nil
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
}

// GoEnv is the environment for running the go command from a test: the
// test's own, with the original HOME restored (under the temporary one the
// go command would find neither its build cache nor its module cache).
func GoEnv() []string {
	env := os.Environ()
	if home, ok := os.LookupEnv(originalHomeEnv); ok {
		env = append(env, "HOME="+home)
	}
	return env
}
