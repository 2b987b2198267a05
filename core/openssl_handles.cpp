#include "core/openssl_handles.hpp"

#include <openssl/provider.h>

namespace certfleet::ossl {

bool load_legacy_provider() {
    // Loading "legacy" explicitly unloads the implicit default provider, so both are loaded; function-local
    // statics make this once-only and thread-safe, and the providers stay loaded for the process lifetime.
    static const bool loaded = [] {
        OSSL_PROVIDER* default_provider = OSSL_PROVIDER_load(nullptr, "default");
        OSSL_PROVIDER* legacy_provider = OSSL_PROVIDER_load(nullptr, "legacy");
        return default_provider != nullptr && legacy_provider != nullptr;
    }();
    return loaded;
}

}  // namespace certfleet::ossl
