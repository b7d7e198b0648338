package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"
)

// The control socket lets the administrative commands reach a running
// daemon, which holds the bbolt file. It is a Unix socket beside the store,
// owner-only. The protocol is JSON lines: one request {"args": [...]}, then
// frames {"out": "..."} and a last {"done": true, "err": "...", "usage": bool}.

type controlRequest struct {
	Args []string `json:"args"`
}

type controlFrame struct {
	Out   string `json:"out,omitempty"`
	Done  bool   `json:"done,omitempty"`
	Err   string `json:"err,omitempty"`
	Usage bool   `json:"usage,omitempty"`
}

func controlPath(storePath string) string { return storePath + ".sock" }

// callDaemon runs args on the daemon listening at path. handled is false
// when no daemon answers, so the caller opens the store itself.
func callDaemon(ctx context.Context, path string, args []string, w io.Writer) (handled bool, err error) {
	d := net.Dialer{Timeout: 2 * time.Second}
	conn, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		return false, nil
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	if err := json.NewEncoder(conn).Encode(controlRequest{Args: args}); err != nil {
		return true, fmt.Errorf("control socket %s: %w", path, err)
	}
	dec := json.NewDecoder(bufio.NewReader(conn))
	for {
		var f controlFrame
		if err := dec.Decode(&f); err != nil {
			return true, fmt.Errorf("control socket %s: the daemon closed the connection: %w", path, err)
		}
		if f.Out != "" {
			io.WriteString(w, f.Out)
		}
		if f.Done {
			switch {
			case f.Err == "":
				return true, nil
			case f.Usage:
				return true, usageError{errors.New(f.Err)}
			default:
				return true, errors.New(f.Err)
			}
		}
	}
}

// frameWriter sends what a command prints as frames.
type frameWriter struct {
	mu  sync.Mutex
	enc *json.Encoder
}

func (fw *frameWriter) Write(p []byte) (int, error) {
	fw.mu.Lock()
	defer fw.mu.Unlock()
	if err := fw.enc.Encode(controlFrame{Out: string(p)}); err != nil {
		return 0, err
	}
	return len(p), nil
}

// serveControl listens on path until ctx is done and runs the
// administrative commands it is sent against a.
func serveControl(ctx context.Context, path string, a *admin, log *slog.Logger) (func(), error) {
	// A socket file left by a daemon that died is stale: nobody answers it.
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return nil, fmt.Errorf("control socket %s: another daemon answers there", path)
	}
	os.Remove(path)
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer conn.Close()
				handleControl(ctx, conn, a, log)
			}()
		}
	}()
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	return func() {
		stop()
		ln.Close()
		wg.Wait()
		os.Remove(path)
	}, nil
}

func handleControl(ctx context.Context, conn net.Conn, a *admin, log *slog.Logger) {
	var req controlRequest
	if err := json.NewDecoder(conn).Decode(&req); err != nil || len(req.Args) == 0 {
		return
	}
	fw := &frameWriter{enc: json.NewEncoder(conn)}
	done := func(err error) {
		f := controlFrame{Done: true}
		if err != nil && !errors.Is(err, flag.ErrHelp) {
			f.Err = err.Error()
			var ue usageError
			f.Usage = errors.As(err, &ue)
		}
		fw.mu.Lock()
		fw.enc.Encode(f)
		fw.mu.Unlock()
	}
	for _, ac := range adminCommands() {
		if ac.name != req.Args[0] {
			continue
		}
		log.Info("control command", "cmd", ac.name)
		fs := flag.NewFlagSet("liaisond "+ac.name, flag.ContinueOnError)
		fs.SetOutput(fw)
		do := ac.flags(fs)
		if err := fs.Parse(req.Args[1:]); err != nil {
			done(usageError{err})
			return
		}
		done(do(ctx, a, fw))
		return
	}
	done(usagef("unknown command %q", req.Args[0]))
}
