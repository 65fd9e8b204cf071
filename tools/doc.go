// Module tools pins the build tools of the repository (go-task) apart
// from the kit's own module, so that a service importing the kit inherits
// none of their dependencies. Run them from the repository root:
//
//	go tool -modfile=tools/go.mod task test
package tools
