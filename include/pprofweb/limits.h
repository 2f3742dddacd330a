/* limits: every bound on what input can make pprofweb allocate or compute, with its reason. */
#ifndef PPROFWEB_LIMITS_H
#define PPROFWEB_LIMITS_H

/* A compressed profile file or upload. The largest real profiles are tens of MB gzipped. */
#define PW_MAX_INPUT ((size_t)1 << 30)
/* Heap a command-line report or a server reserves up front and asks huge pages for (arena.h):
 * address space, not memory, until touched; L's -top uses about 300 MB of it. */
#define PW_HEAP_RESERVE ((size_t)2046 << 20)
/* Freed heap memory a server keeps for its next requests once an upload is done, at least
 * (http.c): up to as much as it holds, whose requests need about that much again. Handing back
 * less would cost more than it saves: the pages handed back split the huge pages around them
 * (arena.h), and a comparison right after an upload of M faulted 27 000 pages of 4 KiB, a
 * quarter of its time. */
#define PW_KEEP_FREED_HEAP ((size_t)64 << 20)
/* Decompressed profile.proto; a gzip bomb stops here. L (1M samples) is ~83 MB raw, so 1 GiB
 * leaves room for real profiles ten times larger. */
#define PW_MAX_DECOMPRESSED ((size_t)1 << 30)
/* Legacy text profiles are read line by line; a longer line is not a profile. */
#define PW_MAX_LINE ((size_t)16 << 20)
/* Values per sample (sample types); real profiles have at most a handful. */
#define PW_MAX_SAMPLE_TYPES 1024
/* Frames in one stack; runtime stacks are capped far lower (Go: 512, perf: 127). */
#define PW_MAX_STACK_DEPTH 65536
/* Lines (inlined frames) in one location. */
#define PW_MAX_LINES_PER_LOCATION 65536
/* Labels on one sample. */
#define PW_MAX_LABELS_PER_SAMPLE 65536
/* Entries of one table of a profile.proto: samples, locations, functions, mappings or strings.
 * L has 1 M samples; 16 M make a model of about 1 GB, where a 1 GiB profile of empty samples
 * (two bytes each) would otherwise take some 20 GB. */
#define PW_MAX_TABLE_ENTRIES ((size_t)1 << 24)
/* Profiles merged from one command line. */
#define PW_MAX_SOURCES 1024
/* A response or report built in memory. */
#define PW_MAX_BUF ((size_t)1 << 30)
/* A string in a profile (function or file name): longer names are not real code. */
#define PW_MAX_STRING ((size_t)1 << 20)

/* Legacy memory maps may define "name=value" attributes that later lines use as $name; real maps
 * have a handful. Further attributes are ignored. */
#define PW_MAX_LEGACY_MAP_ATTRS 256
/* A legacy memory map line after $name substitution: real lines are a path and a few numbers. */
#define PW_MAX_LEGACY_MAP_LINE ((size_t)1 << 20)

/* DOT text handed to Graphviz. pprof's 80-node graph is ~40 kB; trim=false graphs of real
 * profiles run to a few MB. Parsing is linear, so this only bounds memory. */
#define PW_MAX_LAYOUT_INPUT ((size_t)16 << 20)
/* Nodes of a call tree (-call_tree, calltree=t): one per calling context, about 2.6 M and 1.3 GB
 * for a profile of 200 000 samples; beyond this the tree is refused rather than built. */
#define PW_MAX_TREE_NODES ((size_t)4 << 20)
/* Nodes and edges Graphviz lays out. dot's ranking and crossing minimisation grow much faster
 * than linearly (a few thousand nodes take tens of seconds), and layouts run one at a time, so a
 * graph past these would stall every other graph request. Lower the node count (n) instead. */
#define PW_MAX_LAYOUT_NODES 2000
#define PW_MAX_LAYOUT_EDGES 8000

/* Compared profiles (base=/diff_base= in a URL) kept in memory: each is about as large as the two
 * profiles it combines, and a comparison is usually looked at through several views in a row. */
#define PW_MAX_COMPARED 4
/* Bytes those may take together (about three comparisons of two 1 M-sample profiles); one
 * larger alone is built for its request and not kept. */
#define PW_MAX_COMPARED_BYTES ((size_t)2 << 30)

/* A goroutine dump (debug=2, a panic's traceback): 500 000 goroutines of ten frames is about
 * 400 MB of text, and the model built from it is of that order again. */
#define PW_MAX_GOROUTINE_DUMP ((size_t)512 << 20)
/* A symbol server's answer (/debug/pprof/symbol): one line of a function name per address
 * asked, so a few MB for the largest real profiles. */
#define PW_MAX_SYMBOLZ_ANSWER ((size_t)64 << 20)
/* Goroutines in one dump: each is a sample with its labels. */
#define PW_MAX_GOROUTINES ((size_t)1 << 22)

/* GC cycles in one gctrace log: a program collecting every 10 ms for three hours. */
#define PW_MAX_GCTRACE_CYCLES ((size_t)1 << 20)

/* Milliseconds of regexp matching one HTTP request may spend (regex.h). Real filters over the
 * names of a million-sample profile take tens of milliseconds; a backtracking pattern over names
 * of hundreds of kilobytes would hold a worker thread for minutes. Past it the request is 400. */
#define PW_REGEX_BUDGET_MS 2000

/* Open HTTP connections, in all and from one client address. Idle connections cost no thread
 * (MHD polls them), but each holds a file descriptor and up to 256 kB of buffers; a browser opens
 * six, a load test a few hundred. Past either, new connections are closed at once. */
#define PW_HTTP_MAX_CONNECTIONS 4000
#define PW_HTTP_MAX_CONNECTIONS_PER_IP 1500

/* Bytes of computed views (JSON bodies, downloads) the server keeps, keys and bookkeeping
 * included; past it the least recently used are dropped. The views of a dozen large profiles at
 * a few settings each fit; every distinct query string is an entry, so without a bound random
 * f= values would grow the server without end. -view_cache changes it. */
#define PW_VIEW_CACHE_BYTES ((size_t)256 << 20)

/* Snapshots in one series (profiles and gaps). A watch every 30 s fills a week with 20 160;
 * the timeline of 100 000 stays a few MB of JSON after downsampling, and the series file a few
 * tens of MB. Past it the oldest snapshots are dropped, as -watch_keep would. */
#define PW_MAX_SERIES_SNAPSHOTS 100000
/* A series file read back; 100 000 snapshots with long gap messages fit. */
#define PW_MAX_SERIES_FILE ((size_t)64 << 20)
/* Series listed on the start page and by /api/series. */
#define PW_MAX_SERIES_LISTED 1000
/* Watches running at once: each is a thread and a connection every interval. */
#define PW_MAX_WATCHES 64
/* Shortest watch interval: a heap profile costs the watched service a stop-the-world pass, and
 * one a second is already more than any leak hunt needs. */
#define PW_MIN_WATCH_INTERVAL_MS 1000
/* Longest watch interval (a week): longer is a typo. */
#define PW_MAX_WATCH_INTERVAL_MS ((long long)7 * 24 * 3600 * 1000)
/* After failures a watch waits interval x 2^k, at most this many intervals, so a service that
 * is down is not hammered and one that comes back is seen again soon. */
#define PW_WATCH_MAX_BACKOFF 4
/* Points drawn per line of the timeline: more than a chart has pixels; longer series are
 * downsampled (keeping each bucket's last snapshot), so the JSON stays well under 1 MB. */
#define PW_MAX_TIMELINE_POINTS 1000
/* Function lines drawn on the timeline beside the total. */
#define PW_MAX_TIMELINE_LINES 20
/* Rows of the growth ranking in one answer, and points of each row's sparkline. */
#define PW_MAX_GROWTH_ROWS 1000
#define PW_GROWTH_SPARK_POINTS 60
/* Per-snapshot results kept in memory (bytes): 1000 snapshots of a profile with a few thousand
 * functions, at a few settings, fit; older results are dropped first. */
#define PW_SERIES_CACHE_BYTES ((size_t)256 << 20)
/* Cached view bodies from this size on are also kept gzipped, made at the first request that
 * accepts gzip and sent to those that do: a 9 MB top table is 1 MB on the wire. Smaller bodies
 * go out as they are, the header and compression costing more than they save. */
#define PW_GZIP_MIN_BODY ((size_t)32 << 10)

/* Largest profile a PostgreSQL store keeps (bytes as uploaded). PostgreSQL caps one bytea value
 * at 1 GB, and on the way in the bytes exist several times at once: the request body, libpq's
 * send buffer (sent as a binary parameter, so never escaped, which would double it again), and
 * the server's copy of the row being built; reading back, libpq's result plus the decoder's
 * input. 256 MB (the default -max_upload) keeps each of those far below 1 GB, and is many times
 * the largest real profile (tens of MB). With a database store, -max_upload cannot exceed it. */
#define PW_MAX_DB_PROFILE ((size_t)256 << 20)
/* Connections one pprofweb process keeps open to a PostgreSQL store: request threads and
 * watches share them (each query holds one for milliseconds); a replica more would queue. */
#define PW_DB_CONNECTIONS 8
/* Seconds to wait for the database when connecting (a connection string may set its own). */
#define PW_DB_CONNECT_TIMEOUT 5
/* How often a process sharing a database store looks for watches started, changed or stopped
 * by another process (milliseconds). */
#define PW_WATCH_SYNC_MS 1000
/* Merged series kept in memory (bytes: a value per function and snapshot): 1000 snapshots of a
 * profile with a few thousand functions take tens of MB, so a few settings of a few series fit;
 * the least recently used are dropped first. */
#define PW_SERIES_MERGED_BYTES ((size_t)256 << 20)

#endif
