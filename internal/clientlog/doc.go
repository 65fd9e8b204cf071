// Package clientlog routes the official RocketMQ Go client's logger (rlog)
// into log/slog.
//
// The client logs through a process-global logger that defaults to logrus at
// Info level on stderr and is chatty (offset commits every five seconds per
// queue, every rebalance). Route replaces it once per process with an
// adapter over a *slog.Logger, whose handler decides what is kept.
//
// # Levels
//
// rlog's Debug, Info, Warning and Error map to the slog levels of the same
// name; Fatal is logged at Error with fatal=true and does not exit the
// process (the default logger calls os.Exit). Error records that report
// no error are logged at Debug: "executeLocalTransaction but state
// unexpected", which the client logs for every local transaction that
// rolls back or answers unknown.
package clientlog
