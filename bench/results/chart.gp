set terminal pngcairo size 900,500 noenhanced
set output '/work/main/bench/results/chart.png'
set title 'No-op jobs drained per second, 4 PHP workers (2 cores, AMD EPYC)'
set style data histograms
set style fill solid 0.8 border -1
set boxwidth 0.7
set ylabel 'jobs/s'
set yrange [0:*]
set grid ytics
set xtics rotate by -20
unset key
plot '/work/main/bench/results/chart.dat' using 2:xtic(1) linecolor rgb '#3a7bd5', '' using 0:2:(sprintf('%.0f',$2)) with labels offset 0,1 notitle
