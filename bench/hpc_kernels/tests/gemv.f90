program tests
  use hpc_test_support
  implicit none
  external :: gemv
  integer :: shapes(2, 3) = reshape([1, 1, 3, 5, 1001, 777], [2, 3]), s, m, n, i
  double precision, allocatable :: A(:, :), x(:), y(:), flat(:)
  do s = 1, 3
    m = shapes(1, s); n = shapes(2, s)
    allocate(A(m, n), x(n), y(m), flat(m * n))
    call t_vec(flat, 0.37d0, 0.1d0); A = reshape(flat, [m, n])
    call t_vec(x, 0.011d0, 0.5d0); y = 9d0
    call gemv(m, n, A, x, y)
    do i = 1, m
      if (.not. t_close(y(i), sum(A(i, :) * x), 1d-12)) error stop "FAILED: gemv"
    end do
    deallocate(A, x, y, flat)
  end do
end program tests
