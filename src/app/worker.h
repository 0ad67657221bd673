// `segue worker KIND ...`: work on untrusted files done in a child process of the server (see
// common/subprocess.h), so that a decoder that crashes or hangs takes down only the child.
// Each worker prints one line of JSON on stdout and exits 0 on success, 1 when the work failed
// (the line says why), 2 on bad arguments.
//
//   segue worker transcode IN OUT FORMAT KBPS   (FORMAT: vorbis, opus, aac, mp3, flac, wav)
//   segue worker analyze FILE                    (the analysis JSON, see audio/analyzer.h)
//   segue worker analyze --stdin                 (one JSON path per line in, one answer per line out)
#pragma once

namespace segue::app {

// argv[0] is the program, argv[1] "worker", argv[2] the kind.
int run_worker(int argc, char** argv);

}  // namespace segue::app
