package kurrenttest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// security is a secure server's TLS certificate and the one user it admits.
type security struct {
	cert   tls.Certificate
	caFile string
	auth   string // the expected authorization header
	user   string
	pass   string
}

// Secure makes the server serve TLS with a fresh self-signed certificate for
// 127.0.0.1 and localhost, written as a CA file into dir, and require the
// basic-auth credentials user:password on every call but gossip, which a
// KurrentDB node answers anonymously. Call it before Start.
func (s *Server) Secure(dir, user, password string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("kurrenttest: certificate key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "kurrenttest"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA:                  true,
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return fmt.Errorf("kurrenttest: certificate: %w", err)
	}
	caFile := filepath.Join(dir, "kurrenttest-ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		return fmt.Errorf("kurrenttest: write CA file: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sec = &security{
		cert:   tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key},
		caFile: caFile,
		auth:   "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+password)),
		user:   user,
		pass:   password,
	}
	return nil
}

// serverOptions returns the TLS options of a secure server; none for a
// plain one.
func (sec *security) serverOptions() []grpc.ServerOption {
	if sec == nil {
		return nil
	}
	return []grpc.ServerOption{
		grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{sec.cert}, MinVersion: tls.VersionTLS12})),
	}
}

// authorize admits a call that carries the server's credentials, and gossip;
// a plain server (nil) admits every call.
func (sec *security) authorize(ctx context.Context, method string) error {
	if sec == nil || strings.HasPrefix(method, "/event_store.client.gossip.") {
		return nil
	}
	md, _ := metadata.FromIncomingContext(ctx)
	for _, v := range md.Get("authorization") {
		if v == sec.auth {
			return nil
		}
	}
	return status.Error(codes.Unauthenticated, "Bad authentication")
}
