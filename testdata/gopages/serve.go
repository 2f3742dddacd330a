package main

import (
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"runtime"
	"strings"
	"sync"
)

// frozen serves each /frozen/debug/pprof/ page as it was when first asked for, so that two
// tools fetching one page see the same addresses, and answers /frozen/debug/pprof/symbol live,
// as net/http/pprof does: the pair a symbolizing client needs, deterministic.
type frozen struct {
	addr  string
	mu    sync.Mutex
	pages map[string][]byte
}

func (f *frozen) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	uri := strings.TrimPrefix(r.URL.RequestURI(), "/frozen")
	if strings.HasPrefix(uri, "/debug/pprof/symbol") {
		pprof.Symbol(w, r)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	page, ok := f.pages[uri]
	if !ok {
		resp, err := http.Get("http://" + f.addr + uri)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		page, err = io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			http.Error(w, "cannot freeze "+uri, http.StatusBadGateway)
			return
		}
		f.pages[uri] = page
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write(page)
}

// serve runs the pages' goroutines and allocations as a service on 127.0.0.1 (an ephemeral
// port, written to addrfile) with net/http/pprof at /debug/pprof/ and frozen copies of its
// pages at /frozen/debug/pprof/. It never returns.
func serve(addrfile string) {
	runtime.MemProfileRate = 4096
	jobs := make(chan []byte)
	for i := 0; i < 3; i++ {
		go consumer(jobs)
	}
	go poller(make(chan int), make(chan int))
	allocate(5000)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	f := &frozen{addr: l.Addr().String(), pages: map[string][]byte{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.Handle("/frozen/debug/pprof/", f)
	if err := os.WriteFile(addrfile, []byte(l.Addr().String()), 0o644); err != nil {
		panic(err)
	}
	panic(http.Serve(l, mux))
}
