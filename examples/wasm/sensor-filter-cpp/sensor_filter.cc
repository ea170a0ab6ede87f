// A sensor filter: SENSORS simulated temperature sensors read noisy values with occasional spikes; each
// reading goes through a median-of-5 filter (drops single spikes) and a scalar Kalman filter (smooths
// the noise), and a reading far from the filtered value raises an alarm. The program knows the true
// temperatures it simulated, so every step it prints how far the raw and the filtered values are from
// them: the filter's worth in numbers. Under Phantom the filters' state lives in linear memory and
// survives kill -9 mid-tick (README.md).
//   sensor_filter [STEPS [TICKS [SENSORS]]]   (default 60 steps of 5000 ticks of 32 sensors)
// Only +, -, *, / and sqrt on doubles (correctly rounded everywhere), no libm transcendentals, so the
// wasm32 build and a native build print the same bytes.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace {

// xorshift64*: a fixed stream, the same on every platform.
class Random {
 public:
  std::uint32_t next() {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return static_cast<std::uint32_t>((state_ * 2685821657736338717ull) >> 32);
  }
  double uniform() { return next() / 4294967296.0; }                                    // [0, 1)
  double noise() { return uniform() + uniform() + uniform() + uniform() - 2.0; }        // about N(0, 1/3)

 private:
  std::uint64_t state_ = 0x2545f4914f6cdd1dull;
};

// The last N values, with their median.
template <typename T, std::size_t N>
class Window {
 public:
  void push(T value) {
    items_[next_] = value;
    next_ = (next_ + 1) % N;
    count_ = std::min(count_ + 1, N);
  }
  T median() const {
    std::array<T, N> sorted = items_;
    auto middle = sorted.begin() + count_ / 2;
    std::nth_element(sorted.begin(), middle, sorted.begin() + count_);
    return *middle;
  }

 private:
  std::array<T, N> items_{};
  std::size_t count_ = 0, next_ = 0;
};

// A one-dimensional Kalman filter for a slowly moving value: `process` is how much the true value may
// move per tick (variance), `measurement` the sensor's noise variance.
class Kalman {
 public:
  Kalman(double process, double measurement) : process_(process), measurement_(measurement) {}
  double update(double z) {
    if (first_) {
      estimate_ = z;
      first_ = false;
      return estimate_;
    }
    error_ += process_;
    double gain = error_ / (error_ + measurement_);
    estimate_ += gain * (z - estimate_);
    error_ *= 1.0 - gain;
    return estimate_;
  }

 private:
  double process_, measurement_, estimate_ = 0.0, error_ = 1.0;
  bool first_ = true;
};

// Running mean and variance (Welford), for the residuals that decide an alarm.
class RunningStats {
 public:
  void add(double x) {
    ++n_;
    double delta = x - mean_;
    mean_ += delta / static_cast<double>(n_);
    m2_ += delta * (x - mean_);
  }
  std::uint64_t count() const { return n_; }
  double deviation() const { return n_ > 1 ? std::sqrt(m2_ / static_cast<double>(n_ - 1)) : 0.0; }

 private:
  std::uint64_t n_ = 0;
  double mean_ = 0.0, m2_ = 0.0;
};

struct Sensor {
  double base, drift;  // the true temperature: base + drift per tick + a slow triangular day cycle
  Window<double, 5> recent;
  Kalman kalman{0.0004, 0.09};
  RunningStats residuals;
  std::uint64_t alarms = 0;
  double filtered = 0.0;
};

double true_temperature(const Sensor& s, std::uint64_t tick) {
  const std::uint64_t day = 20000;
  double phase = static_cast<double>(tick % day) / day;  // 0..1
  double cycle = phase < 0.5 ? phase * 4.0 - 1.0 : 3.0 - phase * 4.0;  // -1..1..-1
  return s.base + s.drift * static_cast<double>(tick) + 2.0 * cycle;
}

}  // namespace

int main(int argc, char** argv) {
  const int steps = argc > 1 ? std::atoi(argv[1]) : 60;
  const int ticks = argc > 2 ? std::atoi(argv[2]) : 5000;
  const int count = argc > 3 ? std::atoi(argv[3]) : 32;
  Random random;
  std::vector<Sensor> sensors(static_cast<std::size_t>(count));
  for (Sensor& s : sensors) {
    s.base = 15.0 + 10.0 * random.uniform();
    s.drift = (random.uniform() - 0.5) / 100000.0;
  }
  std::uint64_t tick = 0, spikes = 0;
  double raw_error_total = 0.0, filtered_error_total = 0.0;
  for (int step = 1; step <= steps; ++step) {
    double raw_error = 0.0, filtered_error = 0.0, mean = 0.0;
    std::uint64_t alarms = 0;
    for (int t = 0; t < ticks; ++t, ++tick) {
      for (Sensor& s : sensors) {
        double truth = true_temperature(s, tick);
        double reading = truth + 0.5 * random.noise();
        if (random.next() % 500 == 0) {  // a spike: a loose contact, a bit flip
          reading += random.next() % 2 ? 40.0 : -40.0;
          ++spikes;
        }
        s.recent.push(reading);
        s.filtered = s.kalman.update(s.recent.median());
        double residual = reading - s.filtered;
        if (s.residuals.count() > 100 && std::fabs(residual) > 5.0 * s.residuals.deviation()) {
          ++s.alarms;
          ++alarms;
        } else {
          s.residuals.add(residual);
        }
        raw_error += (reading - truth) * (reading - truth);
        filtered_error += (s.filtered - truth) * (s.filtered - truth);
        mean += s.filtered;
      }
    }
    double samples = static_cast<double>(ticks) * count;
    raw_error_total += raw_error;
    filtered_error_total += filtered_error;
    std::printf("step %d of %d: tick %llu, mean %.4f, rms error raw %.4f filtered %.4f, %llu alarms\n", step, steps,
                static_cast<unsigned long long>(tick), mean / samples, std::sqrt(raw_error / samples),
                std::sqrt(filtered_error / samples), static_cast<unsigned long long>(alarms));
    std::fflush(stdout);
  }
  auto loudest = std::max_element(sensors.begin(), sensors.end(),
                                  [](const Sensor& a, const Sensor& b) { return a.alarms < b.alarms; });
  std::uint64_t alarms = 0;
  for (const Sensor& s : sensors) alarms += s.alarms;
  double samples = static_cast<double>(tick) * count;
  std::printf("result: %llu readings, %llu spikes, %llu alarms (most: sensor %d, %llu), rms error raw %.6f filtered %.6f\n",
              static_cast<unsigned long long>(tick * count), static_cast<unsigned long long>(spikes),
              static_cast<unsigned long long>(alarms), static_cast<int>(loudest - sensors.begin()),
              static_cast<unsigned long long>(loudest->alarms), std::sqrt(raw_error_total / samples),
              std::sqrt(filtered_error_total / samples));
  return 0;
}
