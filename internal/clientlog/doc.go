// Package clientlog routes the official RocketMQ Go client's logger (rlog)
// into log/slog.
//
// The client logs through a process-global logger that defaults to logrus at
// Info level on stderr and is chatty (offset commits every five seconds per
// queue, every rebalance), and it reads that logger without
// synchronisation. This package replaces it once, when the program
// starts (init), with an adapter that forwards to the *slog.Logger last
// given to Route, whose handler decides what is kept; until then records
// are discarded. Route can be called at any time, also while clients run.
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
