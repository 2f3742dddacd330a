// Command leaky is a small service for pprofweb's watch tests: net/http/pprof on the address
// given, and three kinds of memory behaviour a leak hunt must tell apart.
//
//   - leakSessions keeps 256 kB more every 100 ms, forever: a steady leak.
//   - warmCache fills 8 MB once, warmAfter after start, then never grows again.
//   - churn allocates 4 MB buffers and drops them at once: allocation without growth.
//
// Every allocation is recorded (MemProfileRate = 1) and a GC runs every 100 ms, so each heap
// profile shows the live heap of that moment.
//
//	go build -o /tmp/leaky . && /tmp/leaky -addr 127.0.0.1:0 -addrfile /tmp/leaky.addr
package main

import (
	"flag"
	"log"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"runtime"
	"sync"
	"time"
)

var (
	mu       sync.Mutex
	sessions [][]byte
	cache    [][]byte
	sink     []byte
)

//go:noinline
func leakSessions() {
	mu.Lock()
	sessions = append(sessions, make([]byte, 256<<10))
	mu.Unlock()
}

//go:noinline
func warmCache() {
	mu.Lock()
	for i := 0; i < 8; i++ {
		cache = append(cache, make([]byte, 1<<20))
	}
	mu.Unlock()
}

//go:noinline
func churn() {
	b := make([]byte, 4<<20)
	b[0] = 1
	sink = b
	sink = nil
}

func main() {
	runtime.MemProfileRate = 1
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	addrFile := flag.String("addrfile", "", "write the address listened on to this file")
	warmAfter := flag.Duration("warm", 1500*time.Millisecond, "when the cache fills")
	flag.Parse()
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	if *addrFile != "" {
		if err := os.WriteFile(*addrFile+".tmp", []byte(ln.Addr().String()), 0o600); err != nil {
			log.Fatal(err)
		}
		if err := os.Rename(*addrFile+".tmp", *addrFile); err != nil {
			log.Fatal(err)
		}
	}
	go func() {
		warm := time.After(*warmAfter)
		tick := time.NewTicker(100 * time.Millisecond)
		for {
			select {
			case <-warm:
				warmCache()
			case <-tick.C:
				leakSessions()
				churn()
				runtime.GC()
			}
		}
	}()
	log.Fatal(http.Serve(ln, nil))
}
