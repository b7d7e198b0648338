// Package mailtls holds what the IMAP and SMTP clients share about
// securing a connection to a mail server: the TLS client configuration and
// the loopback rule for plain text.
package mailtls

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/netip"
	"os"
	"strings"
)

// Config is the TLS client configuration for the mail server host: TLS 1.2
// or later, the certificate verified for host. With caFile set, the
// certificates in that PEM file are the only roots trusted, instead of the
// system's (a private CA, or a self-signed server pinned by its
// certificate); without it, the system roots.
func Config(host, caFile string) (*tls.Config, error) {
	cfg := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
	if caFile == "" {
		return cfg, nil
	}
	pool, err := LoadCAFile(caFile)
	if err != nil {
		return nil, err
	}
	cfg.RootCAs = pool
	return cfg, nil
}

// LoadCAFile reads a PEM file of CA certificates into a pool of its own,
// holding those certificates only. A file without a certificate is an
// error: it would make every server fail verification.
func LoadCAFile(path string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read ca file: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("ca file %s: no PEM certificate", path)
	}
	return pool, nil
}

// IsLoopback reports whether host, as written in a host:port address
// (without brackets), is this machine: "localhost" in any case, or a
// loopback IP address (127.0.0.0/8, ::1, ::ffff:127.0.0.1). Other names are
// not resolved: what they resolve to may change.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}
