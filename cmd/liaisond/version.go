package main

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"
)

// version is the release name, set when a release is built:
//
//	go build -trimpath -ldflags "-X main.version=v1.2.0" ./cmd/liaisond
//
// Without it the module version from the build information is shown.
var version = ""

var _ = register(command{
	name:    "version",
	summary: "print the version and the source revision it was built from (also -version)",
	run:     runVersion,
})

func runVersion(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "version", "version")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if err := wantArgs(fs, "version", 0, 0, ""); err != nil {
		return err
	}
	bi, _ := debug.ReadBuildInfo()
	fmt.Fprintln(e.stdout, versionLine(bi))
	return nil
}

// versionLine describes the build: version, VCS revision and time, and
// the Go release, as "liaisond v1.2.0 (revision 0123456789ab, 2026-12-01T10:00:00Z; go1.26.8)".
func versionLine(bi *debug.BuildInfo) string {
	v := version
	if bi == nil {
		if v == "" {
			v = "(unknown)"
		}
		return "liaisond " + v + " (no build information)"
	}
	if v == "" {
		v = bi.Main.Version
	}
	if v == "" || v == "(devel)" {
		v = "devel"
	}
	var rev, when string
	modified := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	var parts []string
	switch {
	case rev == "":
		// go run and go test do not stamp the revision, nor does a
		// build outside a checkout or with -buildvcs=false.
		parts = append(parts, "revision unknown")
	default:
		r := "revision " + shortRev(rev)
		if when != "" {
			r += ", " + when
		}
		if modified {
			r += ", with uncommitted changes"
		}
		parts = append(parts, r)
	}
	parts = append(parts, bi.GoVersion)
	return fmt.Sprintf("liaisond %s (%s)", v, strings.Join(parts, "; "))
}

func shortRev(rev string) string {
	if len(rev) > 12 {
		return rev[:12]
	}
	return rev
}
