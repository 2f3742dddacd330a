// Command gopages writes the text pages a Go program serves or prints about itself, for
// pprofweb's tests: the ?debug=1 heap page (with its runtime.MemStats block), the goroutine page
// at debug=1 and debug=2, the mutex and block pages at debug=1, a panic's traceback and a
// GODEBUG=gctrace=1 log mixed with the program's own log lines.
//
//	go build -trimpath -o /tmp/gopages . && /tmp/gopages -out ../gopages -wait 65s
//
// -wait keeps the parked goroutines waiting that long before the dumps, so that the runtime
// prints their wait in minutes. With -mode=serve -addrfile FILE it runs as a service with
// net/http/pprof instead (serve.go), for the tests of symbolization by its symbol endpoint.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"time"
)

var sink [][]byte

type inventory struct {
	mu    sync.Mutex
	items map[string]int
}

func (v *inventory) add(name string) {
	v.mu.Lock()
	v.items[name]++
	time.Sleep(50 * time.Microsecond)
	v.mu.Unlock()
}

// consumer parks in a channel receive until its channel is closed.
func consumer(jobs <-chan []byte) {
	for b := range jobs {
		sink = append(sink, b)
	}
}

// poller parks in a select with two channels.
func poller(a, b <-chan int) {
	select {
	case <-a:
	case <-b:
	}
}

// acceptor parks in IO wait on a listener nobody dials.
func acceptor(l net.Listener) {
	c, err := l.Accept()
	if err == nil {
		c.Close()
	}
}

// pinned locks its OS thread and then waits.
func pinned(done <-chan struct{}) {
	runtime.LockOSThread()
	<-done
}

func allocate(n int) {
	for i := 0; i < n; i++ {
		sink = append(sink, make([]byte, 512+i%4096))
	}
}

func write(dir, name, profile string, debug int) {
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		panic(err)
	}
	defer f.Close()
	if err := pprof.Lookup(profile).WriteTo(f, debug); err != nil {
		panic(err)
	}
}

// child runs this program again with env and args, its stderr going to file.
func child(dir, file string, env string, args ...string) {
	exe, err := os.Executable()
	if err != nil {
		panic(err)
	}
	f, err := os.Create(filepath.Join(dir, file))
	if err != nil {
		panic(err)
	}
	defer f.Close()
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), env)
	cmd.Stderr = f
	_ = cmd.Run() // a panicking child exits with status 2
}

func gcWork() {
	log.SetFlags(log.Ltime)
	for round := 0; round < 12; round++ {
		log.Printf("shop: round %d, %d cached", round, len(sink))
		allocate(3000)
		if round%4 == 3 {
			sink = nil
			runtime.GC()
		}
	}
}

type order struct{ items []string }

func (o *order) first() string { return o.items[0] }

func checkout(o *order) string { return strings.ToUpper(o.first()) }

func main() {
	out := flag.String("out", ".", "directory for the pages")
	wait := flag.Duration("wait", 0, "how long the goroutines wait before the dumps")
	mode := flag.String("mode", "", "gc or panic: what a child run does; serve: run as a service")
	addrfile := flag.String("addrfile", "", "with -mode=serve: the file that gets the address")
	flag.Parse()
	switch *mode {
	case "gc":
		gcWork()
		return
	case "serve":
		serve(*addrfile)
	case "panic":
		go consumer(make(chan []byte))
		time.Sleep(10 * time.Millisecond)
		fmt.Println(checkout(&order{}))
		return
	}
	runtime.MemProfileRate = 4096
	runtime.SetBlockProfileRate(1)
	runtime.SetMutexProfileFraction(1)

	jobs := make(chan []byte)
	for i := 0; i < 12; i++ {
		go consumer(jobs)
	}
	a, b := make(chan int), make(chan int)
	for i := 0; i < 5; i++ {
		labels := pprof.Labels("worker", "poller", "shard", fmt.Sprint(i%2))
		pprof.Do(context.Background(), labels, func(context.Context) { go poller(a, b) })
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go acceptor(l)
	done := make(chan struct{})
	go pinned(done)

	inv := &inventory{items: map[string]int{}}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 300; i++ {
				inv.add(fmt.Sprintf("item-%d", i%17))
				jobs <- make([]byte, 64)
			}
		}(w)
	}
	allocate(5000)
	wg.Wait()
	time.Sleep(*wait)

	runtime.GC()
	write(*out, "heap.debug1.txt", "heap", 1)
	write(*out, "goroutine.debug1.txt", "goroutine", 1)
	write(*out, "goroutine.debug2.txt", "goroutine", 2)
	write(*out, "mutex.debug1.txt", "mutex", 1)
	write(*out, "block.debug1.txt", "block", 1)
	child(*out, "gctrace.log", "GODEBUG=gctrace=1", "-mode=gc")
	child(*out, "panic.txt", "GOTRACEBACK=all", "-mode=panic")
	child(*out, "panic-system.txt", "GOTRACEBACK=system", "-mode=panic")
	close(done)
	l.Close()
}
