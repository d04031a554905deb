#include "core/json_writer.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cmath>

#include "core/time_util.h"

namespace salesaudit {

struct JsonWriter::Impl {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer{buffer};
};

namespace {

rapidjson::SizeType Length(std::string_view s) {
  return static_cast<rapidjson::SizeType>(s.size());
}

}  // namespace

JsonWriter::JsonWriter() : impl_(std::make_unique<Impl>()) {}
JsonWriter::~JsonWriter() = default;

void JsonWriter::StartObject() { impl_->writer.StartObject(); }
void JsonWriter::EndObject() { impl_->writer.EndObject(); }
void JsonWriter::StartArray() { impl_->writer.StartArray(); }
void JsonWriter::EndArray() { impl_->writer.EndArray(); }
void JsonWriter::Key(std::string_view name) { impl_->writer.Key(name.data(), Length(name)); }
void JsonWriter::String(std::string_view value) {
  impl_->writer.String(value.data(), Length(value));
}
void JsonWriter::Bool(bool value) { impl_->writer.Bool(value); }
void JsonWriter::Null() { impl_->writer.Null(); }
void JsonWriter::Int(int value) { impl_->writer.Int(value); }
void JsonWriter::Int64(int64_t value) { impl_->writer.Int64(value); }
void JsonWriter::Uint64(uint64_t value) { impl_->writer.Uint64(value); }

void JsonWriter::Double(double value) {
  // RapidJSON would write nothing for inf/nan and leave the document invalid.
  if (std::isfinite(value)) {
    impl_->writer.Double(value);
  } else {
    impl_->writer.Null();
  }
}

void JsonWriter::RawValue(std::string_view json) {
  impl_->writer.RawValue(json.data(), json.size(), rapidjson::kObjectType);
}

void JsonWriter::OptionalDouble(const std::optional<double>& value) {
  if (value) {
    Double(*value);
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

bool JsonWriter::IsComplete() const { return impl_->writer.IsComplete(); }

std::string JsonWriter::TakeString() {
  std::string out(impl_->buffer.GetString(), impl_->buffer.GetSize());
  impl_->buffer.Clear();
  impl_->writer.Reset(impl_->buffer);
  return out;
}

}  // namespace salesaudit
