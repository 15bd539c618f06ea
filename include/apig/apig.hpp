#pragma once

// Every public header of apig.
#include <apig/client.hpp>
#include <apig/credentials.hpp>
#include <apig/credentials_chain.hpp>
#include <apig/environment.hpp>
#include <apig/error.hpp>
#include <apig/export.hpp>
#include <apig/model.hpp>
#include <apig/observability.hpp>
#include <apig/options.hpp>
#include <apig/pager.hpp>
#include <apig/proxy.hpp>
#include <apig/rate_limit.hpp>
#include <apig/region.hpp>
#include <apig/retry.hpp>
#include <apig/temporary_credentials.hpp>
#include <apig/tls_options.hpp>
#include <apig/version.hpp>
