// Package cli is weir's command line: one cobra command tree used by cmd/weir and by users'
// own binaries built with the SDK (weir.Main), so both behave the same.
package cli
