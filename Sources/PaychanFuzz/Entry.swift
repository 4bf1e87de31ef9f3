import Foundation
import PaychanFuzzTargets

#if FUZZING
    // Built by Scripts/fuzz with `-sanitize=fuzzer,address -DFUZZING`: `main` hands over to
    // libFuzzer's driver (SwiftPM links executables with their own entry point, so libFuzzer's
    // `main` is not used). The target is chosen once, by PAYCHAN_FUZZ_TARGET.
    private let selectedTarget: FuzzTarget = {
        guard let name = ProcessInfo.processInfo.environment["PAYCHAN_FUZZ_TARGET"],
            let target = FuzzTarget(rawValue: name)
        else {
            fatalError("set PAYCHAN_FUZZ_TARGET to one of \(FuzzTarget.allCases.map(\.rawValue))")
        }
        return target
    }()

    @_cdecl("LLVMFuzzerTestOneInput")
    public func fuzzTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
        let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
        selectedTarget.run(bytes)
        return 0
    }

    typealias FuzzCallback = @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32

    /// libFuzzer's documented driver entry point (in the toolchain's libclang_rt.fuzzer).
    @_silgen_name("LLVMFuzzerRunDriver")
    func LLVMFuzzerRunDriver(
        _ argc: UnsafeMutablePointer<Int32>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
        _ callback: FuzzCallback
    ) -> Int32

    @main
    struct PaychanFuzzMain {
        static func main() {
            _ = selectedTarget
            var argc = CommandLine.argc
            var argv = CommandLine.unsafeArgv
            exit(LLVMFuzzerRunDriver(&argc, &argv, fuzzTestOneInput))
        }
    }
#else
    /// Without libFuzzer: `PaychanFuzz TARGET PATH...` replays corpus files (or every file in
    /// corpus directories) through the target, so crash regressions run in plain builds.
    @main
    struct PaychanFuzzMain {
        static func main() {
            let arguments = Array(CommandLine.arguments.dropFirst())
            if arguments.first == "journal-seeds", arguments.count == 2 {
                writeJournalSeeds(to: arguments[1])
                return
            }
            guard let name = arguments.first, let target = FuzzTarget(rawValue: name), arguments.count > 1 else {
                print("usage: PaychanFuzz \(FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")) FILE_OR_DIR...")
                exit(2)
            }
            var count = 0
            for path in arguments.dropFirst() {
                for file in FuzzCorpus.files(at: path) {
                    guard let bytes = FuzzCorpus.read(file) else {
                        print("cannot read \(file)")
                        exit(1)
                    }
                    target.run(bytes)
                    count += 1
                }
            }
            print("\(name): replayed \(count) inputs")
        }

        /// `PaychanFuzz journal-seeds DIR`: writes the journal target's seeds
        /// (``FuzzJournal/seeds()``) to DIR as `seed-N` (they are built, not recorded).
        static func writeJournalSeeds(to directory: String) {
            for (index, seed) in FuzzJournal.seeds().enumerated() {
                let path = directory + "/seed-\(index)"
                guard FileManager.default.createFile(atPath: path, contents: Data(seed)) else {
                    print("cannot write \(path)")
                    exit(1)
                }
            }
            print("journal: wrote \(FuzzJournal.seeds().count) seeds to \(directory)")
        }
    }
#endif
