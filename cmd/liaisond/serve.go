package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"

	"liaison/store"
)

var _ = register(command{
	name:    "serve",
	summary: "run the daemon: capture, record, notify, send, and serve the public record",
	run:     runServe,
})

func runServe(ctx context.Context, e *env, args []string) error {
	fs := newFlags(e, "serve", "serve [-config FILE | FILE] [-once]")
	load := configFlag(e, fs)
	once := fs.Bool("once", false, "capture and process everything there is, send what is due, and exit (for cron and benchmarks)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the run to `FILE` (for go tool pprof)")
	memProfile := fs.String("memprofile", "", "write a profile of the run's allocations to `FILE` at exit (go tool pprof -sample_index=alloc_space)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *memProfile != "" {
		defer writeAllocProfile(*memProfile, e.stderr)
	}
	if *cpuProfile != "" {
		stop, err := startCPUProfile(*cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	if err := configArg(fs, "serve"); err != nil {
		return err
	}
	c, err := load()
	if err != nil {
		return err
	}
	if p := placeholders(c); len(p) > 0 {
		return usagef("%s is still the example configuration (%s): set your own values first (docs/ADMIN.md, Configure)",
			fs.Lookup("config").Value, strings.Join(p, ", "))
	}
	if secrets, err := c.Secrets(e.getenv); err == nil {
		if p := placeholderSecrets(secrets); len(p) > 0 {
			return usagef("%s still %q, the example's: set the real one in the environment file (docs/ADMIN.md, Install)",
				strings.Join(p, " and "), examplePassword)
		}
	}
	// Catch SIGHUP from the start: its default action would end the daemon.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	log := newLogger(e.stderr, c)
	db, err := store.Open(ctx, c.Store.Path, store.Options{Logger: log.With("part", "store")})
	if err != nil {
		return err
	}
	defer db.Close()
	d, err := newDaemon(ctx, c, db, e.getenv, log)
	if err != nil {
		return err
	}
	a := &admin{db: db, cfg: c, logger: log, wire: func() (*daemon, error) { return d, nil }}
	stopControl, err := serveControl(ctx, controlPath(c.Store.Path), a, log)
	if err != nil {
		return err
	}
	defer stopControl()
	if *once {
		err := d.once(ctx)
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			// Stopped by a signal: what was done is committed, the rest
			// waits for the next run.
			log.Info("once: stopped before the end")
			return nil
		}
		return err
	}

	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-hup:
				d.reload(fs.Lookup("config").Value.String())
			}
		}
	}()

	ln, err := net.Listen("tcp", c.Web.Listen)
	if err != nil {
		return fmt.Errorf("web: listen %s: %w", c.Web.Listen, err)
	}
	h, err := d.handler(nil, nil)
	if err != nil {
		ln.Close()
		return err
	}
	log.Info("liaisond serving", "web", ln.Addr().String(), "imap", c.IMAP.Address, "smtp", c.SMTP.Address, "store", c.Store.Path)
	err = d.run(ctx, ln, h)
	log.Info("liaisond stopped")
	return err
}

// writeAllocProfile writes the allocations since the start (the heap
// profile, whose alloc_space and alloc_objects samples count every
// allocation) to path; a failure is reported on w, not returned, as the
// run itself has ended.
func writeAllocProfile(path string, w io.Writer) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err == nil {
		err = pprof.Lookup("allocs").WriteTo(f, 0)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintf(w, "memory profile %s: %v\n", path, err)
	}
}

// startCPUProfile profiles the process into a new file at path until the
// returned function is called.
func startCPUProfile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile %s: %w", path, err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
