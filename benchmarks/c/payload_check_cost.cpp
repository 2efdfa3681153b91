// Time of the structural payload check alone (best of 5) on saved index files:
//   g++ -O2 -std=c++17 -ISources/CFaissShim -ISources/CFaissShim/include \
//       Sources/CFaissShim/payload_check.cpp benchmarks/c/payload_check_cost.cpp \
//       -lfaiss -fopenmp -lopenblas -o /tmp/payload_check_cost
//   /tmp/payload_check_cost FILE.stasis...
// benchmarks/open_cost.py builds 1M-vector files to feed it.
#include "internal/payload_check.h"
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>
#include <fstream>
#include <iterator>
int main(int argc, char** argv) {
    for (int a = 1; a < argc; a++) {
        std::ifstream f(argv[a], std::ios::binary);
        std::vector<unsigned char> raw((std::istreambuf_iterator<char>(f)), {});
        uint64_t hl; std::memcpy(&hl, raw.data() + 12, 8);
        std::string header((char*)raw.data() + 28, hl);
        auto p = header.find("\"payloadBytes\":");
        size_t payload = std::stoull(header.substr(p + 15));
        const unsigned char* data = raw.data() + raw.size() - payload;
        double best = 1e9;
        for (int r = 0; r < 5; r++) {
            auto t0 = std::chrono::steady_clock::now();
            stasis_shim::check_payload(data, payload);
            double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            if (s < best) best = s;
        }
        std::printf("%s: check %.1f ms for %.0f MB payload\n", argv[a], best * 1e3, payload / 1048576.0);
    }
}
