// Command tlsreceiver is the HTTPS end of bench/e2e.sh: a loopback Connect
// receiver of prehog.v1alpha.TbotReportingService behind TLS, with a
// certificate from a self-signed CA made at start-up, so that report and
// curl pay a real TLS handshake, as a send to the real endpoint does. It
// writes the CA's certificate to CA.pem (for SSL_CERT_FILE and curl's
// --cacert), prints https://127.0.0.1:PORT on stdout, accepts every event
// and runs until killed.
//
//	tlsreceiver CA.pem
package main

import (
	"context"
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
	"net/http"
	"os"
	"time"

	"connectrpc.com/connect"

	prehogv1alpha "github.com/tbot-telemetry/tbot-telemetry/gen/prehog/v1alpha"
	"github.com/tbot-telemetry/tbot-telemetry/gen/prehog/v1alpha/prehogv1alphaconnect"
)

func main() {
	if len(os.Args) != 2 {
		fail(fmt.Errorf("usage: tlsreceiver CA.pem"))
	}
	cert, caPEM, err := certificates()
	if err != nil {
		fail(err)
	}
	if err := os.WriteFile(os.Args[1], caPEM, 0o644); err != nil {
		fail(fmt.Errorf("write the CA: %w", err))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(fmt.Errorf("listen: %w", err))
	}
	mux := http.NewServeMux()
	mux.Handle(prehogv1alphaconnect.NewTbotReportingServiceHandler(accept{}))
	srv := &http.Server{Handler: mux, TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}}}
	fmt.Printf("https://%s\n", ln.Addr())
	fail(srv.ServeTLS(ln, "", ""))
}

// accept takes every event.
type accept struct{}

func (accept) SubmitTbotEvent(context.Context, *connect.Request[prehogv1alpha.SubmitTbotEventRequest]) (*connect.Response[prehogv1alpha.SubmitTbotEventResponse], error) {
	return connect.NewResponse(&prehogv1alpha.SubmitTbotEventResponse{}), nil
}

// certificates makes a CA and, signed by it, a certificate for 127.0.0.1;
// it returns the latter with its key, and the CA's certificate in PEM.
func certificates() (tls.Certificate, []byte, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("make the CA's key: %w", err)
	}
	now := time.Now()
	ca := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "tbot-telemetry bench CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, ca, ca, &caKey.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("make the CA: %w", err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("make the server's key: %w", err)
	}
	leaf := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "127.0.0.1"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	leafDER, err := x509.CreateCertificate(rand.Reader, leaf, ca, &key.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("make the server's certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{leafDER, caDER}, PrivateKey: key},
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), nil
}

func fail(err error) {
	os.Stderr.WriteString("tlsreceiver: " + err.Error() + "\n")
	os.Exit(1)
}
