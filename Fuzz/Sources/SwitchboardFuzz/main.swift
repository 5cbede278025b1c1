import CFuzzerDriver
import Foundation

// libFuzzer's own `main` is not used (SwiftPM links an executable's entry point as the module's
// main); this one hands the command line to libFuzzer's driver with `fuzzOne`.
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzOne(data, size) })
