#pragma once

/// `APIG_DECL` marks apig's API: the classes and functions of these headers that libapig
/// defines. apig is compiled with hidden visibility, so a shared libapig exports these and
/// nothing else (in particular none of the Asio and Beast code it instantiates, which stays
/// private to it and cannot clash with the host's own Asio). The macro needs no compile
/// definition from the consumer: on ELF platforms importing and exporting are the same
/// attribute.
#if defined(__GNUC__) || defined(__clang__)
#define APIG_DECL __attribute__((visibility("default")))
#else
#define APIG_DECL
#endif
