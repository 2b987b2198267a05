#include "core/openssl_handles.hpp"

#include <openssl/provider.h>

namespace certfleet::ossl {

bool load_legacy_provider() {
    // Loading "legacy" explicitly unloads the implicit default provider, so both are loaded; function-local
    // statics make this once-only and thread-safe, and the providers stay loaded for the process lifetime.
    // They are unloaded at exit (before OpenSSL's own cleanup, which was registered earlier) so leak checkers
    // see a clean process.
    struct Providers {
        OSSL_PROVIDER* default_provider = OSSL_PROVIDER_load(nullptr, "default");
        OSSL_PROVIDER* legacy_provider = OSSL_PROVIDER_load(nullptr, "legacy");
        ~Providers() {
            if (legacy_provider) OSSL_PROVIDER_unload(legacy_provider);
            if (default_provider) OSSL_PROVIDER_unload(default_provider);
        }
    };
    static const Providers providers;
    return providers.default_provider != nullptr && providers.legacy_provider != nullptr;
}

}  // namespace certfleet::ossl
