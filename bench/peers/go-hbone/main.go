// go-hbone is an independent HBONE peer for ambit's benchmark: HTTP/2 CONNECT over mutual TLS 1.3,
// written against Go's standard library only so that it builds offline. It is a yardstick, not a
// product: no policy, no identity checks beyond "the peer chains to the bench CA".
//
//	go-hbone client -peer 10.10.0.12:15008 -sni node-b.bench -cert c.pem -key c.key -ca ca.pem \
//	    -map 10.10.0.11:15001=10.20.2.2:8080 [-map ...]
//	go-hbone server -listen 10.10.0.12:15008 -cert s.pem -key s.key -ca ca.pem
package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"
)

type maps []string

func (m *maps) String() string     { return strings.Join(*m, ",") }
func (m *maps) Set(v string) error { *m = append(*m, v); return nil }

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: go-hbone client|server [flags]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	cert := fs.String("cert", "", "PEM certificate chain")
	key := fs.String("key", "", "PEM private key")
	ca := fs.String("ca", "", "PEM CA that must sign the peer")
	listen := fs.String("listen", "", "server: address for HBONE (ip:15008)")
	peer := fs.String("peer", "", "client: HBONE server address (ip:15008)")
	sni := fs.String("sni", "", "client: server name to verify")
	var m maps
	fs.Var(&m, "map", "client: listenIP:port=targetIP:port (repeatable)")
	_ = fs.Parse(os.Args[2:])
	tlsConf := loadTLS(*cert, *key, *ca)
	switch os.Args[1] {
	case "server":
		serve(*listen, tlsConf)
	case "client":
		runClient(*peer, *sni, tlsConf, m)
	default:
		log.Fatalf("unknown mode %q", os.Args[1])
	}
}

func loadTLS(certFile, keyFile, caFile string) *tls.Config {
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		log.Fatalf("load key pair: %v", err)
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		log.Fatalf("read CA: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		log.Fatalf("no CA certificate in %s", caFile)
	}
	return &tls.Config{
		Certificates: []tls.Certificate{pair},
		RootCAs:      pool,
		ClientCAs:    pool,
		MinVersion:   tls.VersionTLS13,
		NextProtos:   []string{"h2"},
	}
}

// serve terminates HBONE: each CONNECT stream is dialled to its :authority and spliced both ways.
func serve(addr string, tlsConf *tls.Config) {
	tlsConf.ClientAuth = tls.RequireAndVerifyClientCert
	srv := &http.Server{Addr: addr, TLSConfig: tlsConf, Handler: http.HandlerFunc(handleConnect),
		ErrorLog: log.New(io.Discard, "", 0)}
	log.Printf("go-hbone server listening on %s", addr)
	log.Fatal(srv.ListenAndServeTLS("", ""))
}

func handleConnect(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodConnect {
		http.Error(w, "CONNECT only", http.StatusMethodNotAllowed)
		return
	}
	up, err := net.DialTimeout("tcp", r.Host, 5*time.Second)
	if err != nil {
		http.Error(w, "dial failed", http.StatusServiceUnavailable)
		return
	}
	defer up.Close()
	flusher, _ := w.(http.Flusher)
	w.WriteHeader(http.StatusOK)
	if flusher != nil {
		flusher.Flush()
	}
	go func() {
		_, _ = io.Copy(up, r.Body)
		if tc, ok := up.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
	}()
	// Returning ends the response stream (END_STREAM). net/http cannot end the response and keep
	// reading the request body, so upstream EOF closes the whole tunnel: fine for request/response
	// traffic, and the reason this peer is not a half-close reference.
	buf := make([]byte, 64*1024)
	for {
		n, rerr := up.Read(buf)
		if n > 0 {
			if _, werr := w.Write(buf[:n]); werr != nil {
				break
			}
			if flusher != nil {
				flusher.Flush()
			}
		}
		if rerr != nil {
			break
		}
	}
}

// runClient accepts plain TCP on each mapped port and carries it in a CONNECT stream; the
// transport pools streams on shared HTTP/2 connections, as an HBONE client does.
func runClient(peer, sni string, tlsConf *tls.Config, m maps) {
	tlsConf.ServerName = sni
	tr := &http.Transport{TLSClientConfig: tlsConf, ForceAttemptHTTP2: true, MaxIdleConnsPerHost: 4,
		DisableCompression: true, IdleConnTimeout: 90 * time.Second}
	if len(m) == 0 {
		log.Fatal("client: at least one -map")
	}
	var wg sync.WaitGroup
	for _, spec := range m {
		from, to, ok := strings.Cut(spec, "=")
		if !ok {
			log.Fatalf("bad -map %q (want listenIP:port=targetIP:port)", spec)
		}
		ln, err := net.Listen("tcp", from)
		if err != nil {
			log.Fatalf("listen %s: %v", from, err)
		}
		log.Printf("go-hbone client %s -> CONNECT %s via %s", from, to, peer)
		wg.Add(1)
		go func(ln net.Listener, target string) {
			defer wg.Done()
			for {
				c, err := ln.Accept()
				if err != nil {
					if errors.Is(err, net.ErrClosed) {
						return
					}
					continue
				}
				go tunnel(tr, peer, target, c)
			}
		}(ln, to)
	}
	wg.Wait()
}

func tunnel(tr *http.Transport, peer, target string, c net.Conn) {
	defer c.Close()
	pr, pw := io.Pipe()
	req := &http.Request{Method: http.MethodConnect, URL: &url.URL{Scheme: "https", Host: peer},
		Host: target, Header: http.Header{}, Body: pr, ContentLength: -1}
	resp, err := tr.RoundTrip(req)
	if err != nil {
		_ = pw.CloseWithError(err)
		return
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_ = pw.Close()
		return
	}
	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(pw, c)
		_ = pw.Close()
		close(done)
	}()
	_, _ = io.Copy(c, resp.Body)
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	}
	<-done
}
