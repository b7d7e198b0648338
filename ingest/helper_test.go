package ingest

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"liaison"
	"liaison/store"
)

const (
	testUser = "liaison"
	testPass = "secret"
)

// memServer is an in-process imapmemserver on 127.0.0.1 that can be
// restarted on the same address (dropping every connection).
type memServer struct {
	t    *testing.T
	user *imapmemserver.User
	mem  *imapmemserver.Server
	addr string
	tls  *tls.Config // implicit TLS when set and !startTLS
	star bool        // offer STARTTLS with tls

	mu  sync.Mutex
	srv *imapserver.Server
	ln  net.Listener
}

func newMemServer(t *testing.T, mailboxes ...string) *memServer {
	t.Helper()
	s := &memServer{t: t, mem: imapmemserver.New(), user: imapmemserver.NewUser(testUser, testPass)}
	for _, m := range append([]string{"INBOX"}, mailboxes...) {
		if err := s.user.Create(m, nil); err != nil {
			t.Fatal(err)
		}
	}
	s.mem.AddUser(s.user)
	return s
}

// start listens on a fresh port, or on the previous one after restart.
func (s *memServer) start() {
	s.t.Helper()
	addr := s.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	var ln net.Listener
	var err error
	for range 50 { // the old listener's port may take a moment to be free
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		s.t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	opts := &imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return s.mem.NewSession(), nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
		InsecureAuth: s.tls == nil,
		Logger:       discardLogger{},
	}
	if s.tls != nil {
		if s.star {
			opts.TLSConfig = s.tls
		} else {
			ln = tls.NewListener(ln, s.tls)
		}
	}
	srv := imapserver.New(opts)
	go srv.Serve(ln)
	s.mu.Lock()
	s.srv, s.ln = srv, ln
	s.mu.Unlock()
	s.t.Cleanup(func() { srv.Close() })
}

// restart drops every connection and listens again on the same address.
func (s *memServer) restart() {
	s.mu.Lock()
	srv, ln := s.srv, s.ln
	s.mu.Unlock()
	ln.Close() // Close alone misses a listener Serve has not registered yet
	srv.Close()
	s.start()
}

func (s *memServer) append(mbox string, raw []byte) {
	s.t.Helper()
	if _, err := s.user.Append(mbox, bytes.NewReader(raw), &imap.AppendOptions{}); err != nil {
		s.t.Fatal(err)
	}
}

type discardLogger struct{}

func (discardLogger) Printf(string, ...any) {}
func (discardLogger) Println(...any)        {}

// mail returns a liaison-like message of about size bytes with a unique
// Message-ID for i.
func mail(i, size int) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "From: ITU-T SG15 <tsbsg15@example.org>\r\nTo: liaison@example.org\r\n"+
		"Subject: LS on OTN %d\r\nMessage-ID: <ls-%d@example.org>\r\nDate: Mon, 2 Nov 2026 10:00:00 +0000\r\n\r\n", i, i)
	for b.Len() < size {
		fmt.Fprintf(&b, "Line %d of statement %d, for action by the IETF CCAMP WG.\r\n", b.Len(), i)
	}
	return []byte(b.String())
}

func openStore(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "liaison.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func storedMessages(t *testing.T, db *store.DB) []liaison.Message {
	t.Helper()
	var out []liaison.Message
	err := db.View(context.Background(), func(tx *store.Tx) error {
		return tx.ForEachMessage(func(m liaison.Message) error { out = append(out, m); return nil })
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func rawOf(t *testing.T, db *store.DB, sha string) []byte {
	t.Helper()
	var raw []byte
	err := db.View(context.Background(), func(tx *store.Tx) error {
		var err error
		raw, err = tx.MessageRaw(sha)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// testLogger returns a logger writing to t.Log and a buffer for asserting on
// what was logged.
func testLogger(t *testing.T) (*slog.Logger, *syncBuffer) {
	buf := &syncBuffer{}
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// mailboxState lists UID and flags of the messages in mbox, through a real
// IMAP session.
func mailboxState(t *testing.T, addr, mbox string) map[uint32][]string {
	t.Helper()
	c, err := imapclient.DialInsecure(addr, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(testUser, testPass).Wait(); err != nil {
		t.Fatal(err)
	}
	sel, err := c.Select(mbox, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		t.Fatal(err)
	}
	out := map[uint32][]string{}
	if sel.NumMessages == 0 {
		return out
	}
	msgs, err := c.Fetch(imap.SeqSet{{Start: 1, Stop: 0}}, &imap.FetchOptions{UID: true, Flags: true}).Collect()
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		var fl []string
		for _, f := range m.Flags {
			fl = append(fl, strings.ToLower(string(f)))
		}
		out[uint32(m.UID)] = fl
	}
	return out
}

// selfSigned writes a certificate for 127.0.0.1 to a PEM file and returns
// the server TLS config and the file name.
func selfSigned(t *testing.T) (*tls.Config, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "liaisond test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, file
}
