// Package runserver runs the in-process mail servers of the demo, the
// tests and the benchmarks, and stops them without a data race.
package runserver

import "net"

// Server is what go-imap's imapserver and go-smtp's Server have in common.
type Server interface {
	Serve(net.Listener) error
	Close() error
}

// Start serves ln with srv and returns the function that stops it; stop
// may be called more than once. go-imap's Close waits on a sync.WaitGroup
// that Serve adds to, and a Serve that adds to it while Close waits is a
// data race (the race detector reports one on a quick restart). So the
// listener is closed first, and Close is called only after Serve has
// returned and can add nothing more; go-smtp's server, whose Close closes
// the connections Serve accepted, is stopped in the same order.
func Start(srv Server, ln net.Listener) (stop func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(ln)
	}()
	return func() {
		ln.Close()
		<-done
		srv.Close()
	}
}
