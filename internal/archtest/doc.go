// Package archtest holds tests of the repository's shape rather than of
// its behaviour: the rules of the house that a review would otherwise
// have to remember (CONTRIBUTING.md lists them). It has no code of its own.
//
// # Rules checked
//
//   - No non-test Go file is longer than 600 lines.
//   - In package broker, a function or method declared in a
//     handle_<code>_<name>.go file is used by no other file: handlers
//     decode and answer; what they share lives in the core files below
//     them.
//   - The broker's delay, timer and transaction components hold no
//     *Broker: they get narrow dependencies (the store, a putter, a
//     producer finder).
package archtest
