#include "core/json_writer.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cmath>
#include <vector>

#include "core/time_util.h"

namespace salesaudit {

struct JsonWriter::Impl {
  // One open object or array, for the path of a non-finite number.
  struct Frame {
    bool array = false;
    size_t index = 0;  // elements written: the index of the next one
    std::string key;   // the last key written in an object
  };

  std::string Path() const {
    std::string path;
    for (const Frame& f : frames) {
      path += f.array ? "[" + std::to_string(f.index) + "]" : (path.empty() ? "" : ".") + f.key;
    }
    return path;
  }

  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer{buffer};
  std::vector<Frame> frames;
  std::optional<std::string> non_finite_path;
};

namespace {

rapidjson::SizeType Length(std::string_view s) {
  return static_cast<rapidjson::SizeType>(s.size());
}

}  // namespace

JsonWriter::JsonWriter() : impl_(std::make_unique<Impl>()) {}
JsonWriter::~JsonWriter() = default;

void JsonWriter::Written() {
  if (!impl_->frames.empty() && impl_->frames.back().array) ++impl_->frames.back().index;
}

void JsonWriter::StartObject() {
  impl_->writer.StartObject();
  impl_->frames.push_back({});
}
void JsonWriter::EndObject() {
  impl_->writer.EndObject();
  impl_->frames.pop_back();
  Written();
}
void JsonWriter::StartArray() {
  impl_->writer.StartArray();
  impl_->frames.push_back({.array = true});
}
void JsonWriter::EndArray() {
  impl_->writer.EndArray();
  impl_->frames.pop_back();
  Written();
}
void JsonWriter::Key(std::string_view name) {
  impl_->writer.Key(name.data(), Length(name));
  if (!impl_->frames.empty()) impl_->frames.back().key = name;
}
void JsonWriter::String(std::string_view value) {
  impl_->writer.String(value.data(), Length(value));
  Written();
}
void JsonWriter::Bool(bool value) {
  impl_->writer.Bool(value);
  Written();
}
void JsonWriter::Null() {
  impl_->writer.Null();
  Written();
}
void JsonWriter::Int(int value) {
  impl_->writer.Int(value);
  Written();
}
void JsonWriter::Int64(int64_t value) {
  impl_->writer.Int64(value);
  Written();
}
void JsonWriter::Uint64(uint64_t value) {
  impl_->writer.Uint64(value);
  Written();
}

void JsonWriter::Double(double value) {
  // RapidJSON would write nothing for inf/nan and leave the document invalid.
  if (std::isfinite(value)) {
    impl_->writer.Double(value);
    Written();
  } else {
    if (!impl_->non_finite_path) impl_->non_finite_path = impl_->Path();
    Null();
  }
}

void JsonWriter::RawValue(std::string_view json) {
  impl_->writer.RawValue(json.data(), json.size(), rapidjson::kObjectType);
  Written();
}

void JsonWriter::OptionalDouble(const std::optional<double>& value) {
  if (value) {
    Double(*value);
  } else {
    Null();
  }
}

void JsonWriter::OptionalInt64(const std::optional<int64_t>& value) {
  if (value) {
    Int64(*value);
  } else {
    Null();
  }
}

void JsonWriter::OptionalString(const std::string* value) {
  if (value != nullptr) {
    String(*value);
  } else {
    Null();
  }
}

void JsonWriter::Time(const TimeMs& value) {
  if (value) {
    String(FormatIsoMs(*value));
  } else {
    Null();
  }
}

void JsonWriter::OptionalString(const std::optional<std::string>& value) {
  OptionalString(value ? &*value : nullptr);
}

bool JsonWriter::IsComplete() const { return impl_->writer.IsComplete(); }

const std::optional<std::string>& JsonWriter::NonFinitePath() const {
  return impl_->non_finite_path;
}

std::string JsonWriter::TakeString() {
  std::string out(impl_->buffer.GetString(), impl_->buffer.GetSize());
  impl_->buffer.Clear();
  impl_->writer.Reset(impl_->buffer);
  impl_->frames.clear();
  impl_->non_finite_path.reset();
  return out;
}

}  // namespace salesaudit
