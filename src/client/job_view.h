// Jobs for people: one job as labelled lines, many as a table.
#pragma once

#include <nlohmann/json.hpp>

namespace cordon::client {

void print_job(const nlohmann::json& job);
// ID, STATE, EXIT, CREATED, COMMAND.
void print_job_table(const nlohmann::json& jobs);
// The files of GET /v1/jobs/ID/files: MODE, SIZE, PATH (a folder's path ends in '/').
void print_file_table(const nlohmann::json& files);

}  // namespace cordon::client
