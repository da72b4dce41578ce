program tests
  use hpc_test_support
  implicit none
  external :: spmv
  integer :: sizes(3) = [1, 2, 1000003], s, n, i, p
  integer, allocatable :: rowptr(:), col(:)
  double precision, allocatable :: val(:), x(:), y(:)
  double precision :: want
  do s = 1, 3
    n = sizes(s)
    allocate(x(n), y(n))
    call t_csr(n, .false., rowptr, col, val)
    call t_vec(x, 0.013d0, 0.2d0); y = 9d0
    call spmv(n, rowptr, col, val, x, y)
    do i = 1, n
      want = 0d0
      do p = rowptr(i), rowptr(i + 1) - 1
        want = want + val(p) * x(col(p))
      end do
      if (.not. t_close(y(i), want, 1d-13)) error stop "FAILED: spmv"
    end do
    deallocate(x, y, rowptr, col, val)
  end do
end program tests
