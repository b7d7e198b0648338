package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// The control socket lets the administrative commands reach a running
// daemon, which holds the bbolt file. It is a Unix socket beside the store,
// owner-only. The protocol is JSON lines: one request {"args": [...]}, then
// frames {"out": BASE64} and a last {"done": true, "err": "...", "usage": bool}.
// Output travels as bytes, not text, so that a backup streams through it.

type controlRequest struct {
	Args []string `json:"args"`
}

type controlFrame struct {
	Out   []byte `json:"out,omitempty"`
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
	switch {
	case err == nil:
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ECONNREFUSED):
		// No daemon, or one that died and left its socket: the store is free.
		return false, nil
	case errors.Is(err, fs.ErrPermission):
		return true, fmt.Errorf("control socket %s: permission denied: run this as the daemon's user or root", path)
	default:
		return true, fmt.Errorf("control socket %s: %w", path, err)
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
		if len(f.Out) > 0 {
			if _, err := w.Write(f.Out); err != nil {
				return true, err
			}
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
	if err := fw.enc.Encode(controlFrame{Out: p}); err != nil {
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
	ln, err := listenPrivate(path)
	if err != nil {
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	// At the stop every connection is closed: a client that sends nothing,
	// or reads its output slowly (export | less), must not hold the daemon.
	ctx, cancel := context.WithCancel(ctx)
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
				stop := context.AfterFunc(ctx, func() { conn.Close() })
				defer stop()
				handleControl(ctx, conn, a, log)
			}()
		}
	}()
	context.AfterFunc(ctx, func() { ln.Close() })
	return func() {
		cancel()
		wg.Wait()
		os.Remove(path)
	}, nil
}

// listenPrivate listens on a Unix socket at path that only this user can
// connect to. The socket is made inside a fresh 0700 directory beside path,
// made owner-only and then renamed into place: at no moment can another
// user connect while the umask's permissions still apply.
func listenPrivate(path string) (*net.UnixListener, error) {
	dir, err := os.MkdirTemp(filepath.Dir(path), ".liaisond-control-*")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	tmp := filepath.Join(dir, "sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: tmp, Net: "unix"})
	if err != nil {
		return nil, err
	}
	ln.SetUnlinkOnClose(false)
	// A chmod by name, but in a directory that only this process could
	// have made (MkdirTemp, 0700): no one else can put a link there. The
	// rename replaces whatever is at path, a planted link included,
	// without following it.
	if err := os.Chmod(tmp, 0o600); err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
}

// peerAllowed reports whether the process at the other end of conn runs as
// the daemon's user or as root (SO_PEERCRED), whatever the socket's mode.
func peerAllowed(conn net.Conn) (uid uint32, ok bool, err error) {
	uc, isUnix := conn.(*net.UnixConn)
	if !isUnix {
		return 0, false, errors.New("not a unix socket")
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return 0, false, err
	}
	var cred *unix.Ucred
	var credErr error
	if err := raw.Control(func(fd uintptr) {
		cred, credErr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED)
	}); err != nil {
		return 0, false, err
	}
	if credErr != nil {
		return 0, false, fmt.Errorf("peer credentials: %w", credErr)
	}
	return cred.Uid, cred.Uid == 0 || int(cred.Uid) == os.Getuid(), nil
}

func handleControl(ctx context.Context, conn net.Conn, a *admin, log *slog.Logger) {
	if uid, ok, err := peerAllowed(conn); !ok {
		log.Warn("control connection refused", "peer_uid", uid, "err", err)
		return
	}
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
		set := flag.NewFlagSet("liaisond "+ac.name, flag.ContinueOnError)
		set.SetOutput(fw)
		do := ac.flags(set)
		if err := set.Parse(normalArgs(set, req.Args[1:])); err != nil {
			done(usageError{err})
			return
		}
		done(do(ctx, a, fw))
		return
	}
	done(usagef("unknown command %q", req.Args[0]))
}
