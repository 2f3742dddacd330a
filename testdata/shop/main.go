// Command shop is a small program that pprofweb's test data is recorded from: a toy order
// service with a cache that leaks, some JSON encoding, sorting and hashing. It writes a CPU
// profile, two heap profiles taken a few seconds apart (for diffs) and the heap profile's
// legacy text form (?debug=1, with its runtime.MemStats block).
//
//	go build -trimpath -o /tmp/shop . && /tmp/shop -out ../profiles
package main

import (
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"time"
)

type order struct {
	ID       int
	Customer string
	Items    []string
	Total    float64
}

// cache keeps every rendered order forever: the leak the heap profiles show.
var cache = map[int][]byte{}

func newOrder(id int) order {
	items := make([]string, 1+id%7)
	for i := range items {
		items[i] = fmt.Sprintf("item-%d-%d", id, i)
	}
	return order{ID: id, Customer: strings.Repeat("c", 8+id%16), Items: items, Total: float64(id) * 1.25}
}

func render(o order) []byte {
	b, _ := json.Marshal(o)
	return b
}

func remember(id int, b []byte) {
	cache[id] = append([]byte(nil), b...)
}

func checksum(b []byte) [32]byte {
	var sum [32]byte
	for i := 0; i < 20; i++ {
		sum = sha256.Sum256(append(b, sum[:]...))
	}
	return sum
}

func rank(orders []order) {
	sort.Slice(orders, func(i, j int) bool {
		if orders[i].Total != orders[j].Total {
			return orders[i].Total > orders[j].Total
		}
		return orders[i].Customer < orders[j].Customer
	})
}

func serve(from, to int) {
	batch := make([]order, 0, 256)
	for id := from; id < to; id++ {
		o := newOrder(id)
		b := render(o)
		checksum(b)
		remember(id, b)
		batch = append(batch, o)
		if len(batch) == cap(batch) {
			rank(batch)
			batch = batch[:0]
		}
	}
}

func writeProfile(dir, name string, debug int) {
	f, err := os.Create(filepath.Join(dir, name))
	if err != nil {
		panic(err)
	}
	defer f.Close()
	runtime.GC()
	if err := pprof.Lookup("heap").WriteTo(f, debug); err != nil {
		panic(err)
	}
}

func main() {
	out := flag.String("out", ".", "directory for the profiles")
	flag.Parse()
	runtime.MemProfileRate = 4096

	cpu, err := os.Create(filepath.Join(*out, "shop.cpu.pb.gz"))
	if err != nil {
		panic(err)
	}
	if err := pprof.StartCPUProfile(cpu); err != nil {
		panic(err)
	}
	deadline := time.Now().Add(3 * time.Second)
	id := 0
	for time.Now().Before(deadline) && id < 60000 {
		serve(id, id+1000)
		id += 1000
		if id == 20000 {
			writeProfile(*out, "shop.heap-t0.pb.gz", 0)
		}
	}
	pprof.StopCPUProfile()
	cpu.Close()
	writeProfile(*out, "shop.heap-t1.pb.gz", 0)
	writeProfile(*out, "shop.heap-t1.debug1.txt", 1)
	fmt.Println("orders:", id, "cached:", len(cache))
}
