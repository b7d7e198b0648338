package mailtls

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The test process's system roots are one certificate of its own (Go
// reads SSL_CERT_FILE and SSL_CERT_DIR once, on first use), so that a test
// can tell "the CA file instead of the system roots" from "in addition".
var systemCert, fileCert *tls.Config
var systemCAFile, otherCAFile string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "mailtls")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	systemCert, systemCAFile = mustCert(dir, "system")
	fileCert, otherCAFile = mustCert(dir, "file")
	os.Setenv("SSL_CERT_FILE", systemCAFile)
	os.Setenv("SSL_CERT_DIR", filepath.Join(dir, "no-such-dir"))
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// mustCert makes a self-signed certificate for 127.0.0.1 and localhost
// and writes it to DIR/NAME.pem.
func mustCert(dir, name string) (*tls.Config, string) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "mailtls test " + name},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	path := filepath.Join(dir, name+".pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		panic(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, path
}

// handshake runs a TLS handshake between a client with cfg and a server
// with srv, over a socket pair.
func handshake(t *testing.T, cfg, srv *tls.Config) error {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		sc := tls.Server(c, srv)
		sc.SetDeadline(time.Now().Add(10 * time.Second))
		sc.Handshake()
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tc := tls.Client(c, cfg)
	tc.SetDeadline(time.Now().Add(10 * time.Second))
	return tc.Handshake()
}

func TestConfig(t *testing.T) {
	for _, tc := range []struct {
		name    string
		host    string
		caFile  string
		server  *tls.Config
		wantErr string // "" for a verified handshake
	}{
		{name: "system roots", host: "127.0.0.1", server: systemCert},
		{name: "system roots by name", host: "localhost", server: systemCert},
		{name: "system roots, unknown server", host: "127.0.0.1", server: fileCert, wantErr: "unknown authority"},
		{name: "ca file", host: "127.0.0.1", caFile: otherCAFile, server: fileCert},
		// The documented meaning: the CA file replaces the system roots, so
		// a server the system trusts is refused.
		{name: "ca file replaces system roots", host: "127.0.0.1", caFile: otherCAFile, server: systemCert, wantErr: "unknown authority"},
		{name: "ca file, wrong name", host: "mail.example.org", caFile: otherCAFile, server: fileCert, wantErr: "mail.example.org"},
		{name: "tls 1.1 server", host: "127.0.0.1", caFile: otherCAFile, server: &tls.Config{
			Certificates: fileCert.Certificates, MaxVersion: tls.VersionTLS11}, wantErr: "version"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Config(tc.host, tc.caFile)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.ServerName != tc.host || cfg.MinVersion != tls.VersionTLS12 || cfg.InsecureSkipVerify {
				t.Errorf("config: server name %q, min version %x, skip verify %v", cfg.ServerName, cfg.MinVersion, cfg.InsecureSkipVerify)
			}
			if (tc.caFile == "") != (cfg.RootCAs == nil) {
				t.Errorf("RootCAs set %v with ca file %q", cfg.RootCAs != nil, tc.caFile)
			}
			err = handshake(t, cfg, tc.server)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("handshake: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("handshake: %v, want an error with %q", err, tc.wantErr)
			}
		})
	}
}

func TestLoadCAFile(t *testing.T) {
	pool, err := LoadCAFile(otherCAFile)
	if err != nil {
		t.Fatal(err)
	}
	want := x509.NewCertPool()
	b, _ := os.ReadFile(otherCAFile)
	want.AppendCertsFromPEM(b)
	if !pool.Equal(want) {
		t.Error("pool holds more than the file's certificate")
	}
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "ca.txt")
	os.WriteFile(notPEM, []byte("not a certificate\n"), 0o600)
	for _, tc := range []struct{ path, want string }{
		{filepath.Join(dir, "missing.pem"), "no such file"},
		{notPEM, "no PEM certificate"},
	} {
		if _, err := LoadCAFile(tc.path); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("LoadCAFile(%s): %v, want %q", filepath.Base(tc.path), err, tc.want)
		}
		if _, err := Config("127.0.0.1", tc.path); err == nil {
			t.Errorf("Config with ca file %s: no error", filepath.Base(tc.path))
		}
	}
}

func TestIsLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost":         true,
		"LocalHost":         true,
		"127.0.0.1":         true,
		"127.0.0.2":         true,
		"::1":               true,
		"::ffff:127.0.0.1":  true,
		"0:0:0:0:0:0:0:1":   true,
		"192.0.2.1":         false,
		"::":                false,
		"0.0.0.0":           false,
		"localhost.example": false,
		"mail.example.org":  false,
		"":                  false,
	} {
		if got := IsLoopback(host); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", host, got, want)
		}
	}
}
