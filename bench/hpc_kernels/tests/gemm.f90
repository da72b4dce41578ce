program tests
  use hpc_test_support
  implicit none
  external :: gemm
  integer :: shapes(3, 3) = reshape([1, 1, 1, 2, 3, 4, 131, 97, 211], [3, 3]), s, m, n, k, i, j
  double precision, allocatable :: A(:, :), B(:, :), C(:, :), fa(:), fb(:)
  do s = 1, 3
    m = shapes(1, s); n = shapes(2, s); k = shapes(3, s)
    allocate(A(m, k), B(k, n), C(m, n), fa(m * k), fb(k * n))
    call t_vec(fa, 0.37d0, 0.1d0); A = reshape(fa, [m, k])
    call t_vec(fb, 0.23d0, 0.7d0); B = reshape(fb, [k, n])
    C = 9d0
    call gemm(m, n, k, A, B, C)
    do j = 1, n
      do i = 1, m
        if (.not. t_close(C(i, j), sum(A(i, :) * B(:, j)), 1d-12)) error stop "FAILED: gemm"
      end do
    end do
    deallocate(A, B, C, fa, fb)
  end do
end program tests
