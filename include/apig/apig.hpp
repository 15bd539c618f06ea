#pragma once

#include <apig/client.hpp>
#include <apig/credentials.hpp>
#include <apig/error.hpp>
#include <apig/model.hpp>
#include <apig/options.hpp>
#include <apig/version.hpp>
