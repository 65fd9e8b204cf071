// Package templates scaffolds a new RocketKit service: the files behind
// `rocketkit new`, embedded in the binary, and Generate, which writes them
// for a module path.
//
// The generated service is an fx application on starter.Module with one
// concurrent listener and a producer Template. It runs against the embedded
// broker as it stands (`go run .`), moves to a RocketMQ cluster by setting
// rocketmq.name-server (in config.yaml or ROCKETMQ_NAME_SERVER), and
// passes its own test (`go test ./...`) straight away.
//
// go.mod requires RocketKit and fx directly and, as indirect requirements,
// the versions RocketKit itself was built with. Generated against a local
// checkout (Service.KitDir) it also gets that checkout's go.sum and a
// replace directive, and builds without downloading anything; against a
// published version it needs go.sum filled in. Tidy (`go mod tidy`, which
// `rocketkit new` runs) then leaves go.mod and go.sum holding only what the
// service needs: offline against a checkout, downloading a published
// version.
package templates
